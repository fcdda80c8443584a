import HubCore

/// hub-server's credentials are the hub's (``HubCredentials``, shared with the `/metrics`
/// endpoints of hub-worker and hub-sync).
package typealias ServerCredentials = HubCredentials
