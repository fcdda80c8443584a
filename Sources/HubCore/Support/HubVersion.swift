/// The version of this build of the hub.
package enum HubVersion {
    /// Semantic version of HubCore and the executables built with it.
    package static let current = "0.1.0"
}
