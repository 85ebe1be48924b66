import Synchronization

/// What one connection's peer may do: decided on its first request for each level, then kept
/// for the connection's life, so a keep-alive client costs no group lookups per request. A
/// policy reload (SIGHUP) makes the next request decide again.
public final class ConnectionAccess: Sendable {
    public let peer: PeerCredentials
    private let decided = Mutex<(generation: UInt64, status: Bool?, operate: Bool?)>((0, nil, nil))

    public init(peer: PeerCredentials) { self.peer = peer }

    func allows(_ level: AccessLevel, under store: PolicyStore) -> Bool {
        let (policy, generation) = store.versioned
        let known = decided.withLock { d -> Bool? in
            if d.generation != generation { d = (generation, nil, nil) }
            return level == .status ? d.status : d.operate
        }
        if let known { return known }
        // Outside the lock: the lookup may ask NSS.
        let allowed = policy.allows(peer, level)
        decided.withLock { d in
            guard d.generation == generation else { return }
            if level == .status { d.status = allowed } else { d.operate = allowed }
        }
        return allowed
    }
}
