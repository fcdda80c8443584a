/// The version of this build of the hub.
public enum HubVersion {
    /// Semantic version of HubCore and the executables built with it.
    public static let current = "0.1.0"
}
