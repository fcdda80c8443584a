import Hummingbird

extension HubServer {
    /// `GET /`: the dashboard page, with a session token for its scripts.
    func addDashboardPageRoutes(to router: Router<HubRequestContext>) {
        router.get("/") { _, context -> Response in
            let token = self.tokens.issue(for: context.principal ?? "dashboard")
            return Response(status: .ok,
                            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                      .contentSecurityPolicy: "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self' ws: wss:; img-src 'self' blob:"],
                            body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html(token: token))))
        }
    }
}
