import Core

/// Chooses the push transport for a configuration.
public enum Push {
    /// FCM when `FCM_SERVICE_ACCOUNT_FILE` is set; otherwise, outside production, a
    /// `LogTransport` that writes pushes to a file. Production without FCM is a configuration
    /// error rather than silently undelivered notifications.
    public static func transport(config: Config) throws -> any PushTransport {
        if config["FCM_SERVICE_ACCOUNT_FILE"] != nil { return try FCMTransport(config: config) }
        guard !config.isProduction else {
            throw ConfigError(key: "FCM_SERVICE_ACCOUNT_FILE", reason: "is not set (production does not log pushes to a file)")
        }
        return LogTransport(config: config)
    }
}
