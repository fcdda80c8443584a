import Foundation
import HubServerCore
import HubTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// One JSON style for every HTTP body (issue 14): snake_case keys, as `--json` (JSONKeyStyleTests)
/// and the seeds. Checked twice: every property and parameter name the OpenAPI document declares
/// (what schemathesis holds every answer to), and the bodies of every GET without path parameters
/// a live server answers.
@Suite struct HTTPKeyStyleTests {
    /// Keys whose value is a map keyed by data (layer names, field keys, labels): not checked
    /// themselves, what is inside them is.
    static let dataMaps: Set<String> = ["layer_data", "layers", "default_data", "single_fields", "fields", "details", "properties",
                                        "payload", "data", "extra", "by_entity", "labels", "paths", "responses", "content",
                                        "schemas", "components", "headers", "examples", "securitySchemes"]

    static func isSnakeCase(_ key: String) -> Bool {
        key.range(of: #"^\$?[a-z0-9]+(_[a-z0-9]+)*$"#, options: .regularExpression) != nil
    }

    /// Paths of the keys below `value` that are not snake_case.
    static func violations(_ value: Any, path: String = "$", dataMap: Bool = false) -> [String] {
        if let object = value as? [String: Any] {
            return object.keys.sorted().flatMap { key -> [String] in
                let child = object[key]!
                if dataMap { return violations(child, path: "\(path){\(key)}") }
                return (isSnakeCase(key) ? [] : ["\(path).\(key)"]) + violations(child, path: "\(path).\(key)", dataMap: dataMaps.contains(key))
            }
        }
        if let array = value as? [Any] { return array.enumerated().flatMap { violations($1, path: "\(path)[\($0)]") } }
        return []
    }

    @Test func theCheckSeesCamelCase() {
        #expect(Self.violations(["instruction_id": 1, "nested": [["workerId": 2]]] as [String: Any]) == ["$.nested[0].workerId"])
        #expect(Self.violations(["layer_data": ["Player Name": 1]] as [String: Any]).isEmpty)
    }

    @Test func everyDocumentedNameAndEveryGETBodyIsSnakeCase() async throws {
        let harness = try await ServerHarness.make()
        try await harness.run { client in
            let document = try await client.execute(uri: "/api/openapi.json", method: .get, headers: ServerHarness.authorized).json()
            // Property names of every schema, and parameter names.
            var names: [String] = []
            func walk(_ value: Any, _ path: String) {
                if let object = value as? [String: Any] {
                    if let properties = object["properties"] as? [String: Any] {
                        // An older spelling still accepted on input is documented as deprecated.
                        names += properties.filter { !Self.isSnakeCase($0.key) && ($0.value as? [String: Any])?["deprecated"] as? Bool != true }
                            .map { "\(path).properties.\($0.key)" }
                    }
                    if let name = object["name"] as? String, object["in"] as? String != nil, object["in"] as? String != "header", !Self.isSnakeCase(name) {
                        names.append("\(path) parameter \(name)")
                    }
                    for (key, child) in object { walk(child, "\(path).\(key)") }
                } else if let array = value as? [Any] {
                    for (index, child) in array.enumerated() { walk(child, "\(path)[\(index)]") }
                }
            }
            walk(document, "$")
            #expect(names.isEmpty, "names in the OpenAPI document that are not snake_case: \(names)")

            // Every GET without path parameters, as a live server answers it.
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var checked = 0
            for (path, operations) in paths.sorted(by: { $0.key < $1.key })
            where operations["get"] != nil && !path.contains("{") && path.hasPrefix("/api/") && path != "/api/openapi.json" {
                let response = try await client.execute(uri: path, method: .get, headers: ServerHarness.authorized)
                guard response.status == .ok, response.headers[.contentType]?.hasPrefix("application/json") == true else { continue }
                let body = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView), options: [.fragmentsAllowed])
                #expect(Self.violations(body).isEmpty, "GET \(path): \(Self.violations(body))")
                checked += 1
            }
            #expect(checked >= 10, "only \(checked) JSON bodies were checked")
        }
    }
}
