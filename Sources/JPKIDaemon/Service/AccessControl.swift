import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The access policy in force; SIGHUP replaces it.
public final class PolicyStore: Sendable {
    private let value: Mutex<(policy: AccessPolicy, generation: UInt64)>
    public init(_ policy: AccessPolicy) { value = Mutex((policy, 0)) }
    public var current: AccessPolicy { value.withLock { $0.policy } }
    /// The policy and a number that changes with every replacement, for decisions kept per connection.
    var versioned: (policy: AccessPolicy, generation: UInt64) { value.withLock { $0 } }
    /// A reload (SIGHUP) also looks the groups up afresh.
    public func replace(with policy: AccessPolicy) {
        value.withLock { $0 = (policy, $0.generation + 1) }
        AccessPolicy.forgetGroupIDs()
    }
}

/// What a request needs.
public enum AccessLevel: Sendable {
    /// Reading status, certificates and events.
    case status
    /// PIN verification, signing, the sign certificate.
    case operate
}

/// Who may do what: root always; members of the status group read; members of the operator
/// group read and operate. Membership is the peer process's primary group or one of its own
/// supplementary groups (`SO_PEERGROUPS`); only when the kernel could not tell those is the
/// user's group list asked of NSS.
public struct AccessPolicy: Sendable {
    public var statusGroup: String?
    public var operatorGroup: String?

    public init(statusGroup: String?, operatorGroup: String?) {
        self.statusGroup = statusGroup
        self.operatorGroup = operatorGroup
    }

    public func allows(_ peer: PeerCredentials, _ level: AccessLevel) -> Bool {
        if peer.uid == 0 { return true }
        let groups = [operatorGroup] + (level == .status ? [statusGroup] : [])
        return groups.compactMap { $0 }.contains { Self.isMember(peer, of: $0) }
    }

    static func gid(of name: String) -> gid_t? {
        if let numeric = gid_t(name) { return numeric }
        // Asked for every new connection, on the event loop: NSS (sssd, LDAP) is asked once a
        // minute per group found, not at every accept. A group not found (or a failed lookup)
        // is not kept: it is asked again next time.
        let now = ContinuousClock.now
        let (known, generation) = groupIDs.withLock { ($0.found[name], $0.generation) }
        if let known, now - known.since < .seconds(60) { return known.gid }
        // The reentrant form: requests are checked on many threads at once, and getgrnam's
        // static result would be shared between them.
        let gid: gid_t? = withLookupBuffer { buffer in
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            let status = getgrnam_r(name, &entry, buffer.baseAddress!, buffer.count, &result)
            return (status, result == nil ? nil : entry.gr_gid)
        }
        if let gid {
            groupIDs.withLock { cache in
                // Not after a reload that began while this lookup ran: it may be stale.
                guard cache.generation == generation else { return }
                // A handful of names (the configured groups); a bound all the same.
                if cache.found.count >= 16 { cache.found.removeAll() }
                cache.found[name] = (gid, now)
            }
        }
        return gid
    }

    /// A reload looks every group up afresh.
    static func forgetGroupIDs() {
        groupIDs.withLock { cache in
            cache.found.removeAll()
            cache.generation &+= 1
        }
    }

    /// Groups found lately: the id and when; the generation changes with every reload.
    private static let groupIDs = Mutex<
        (found: [String: (gid: gid_t, since: ContinuousClock.Instant)], generation: UInt64)
    >(([:], 0))

    static func isMember(_ peer: PeerCredentials, of group: String) -> Bool {
        guard let gid = gid(of: group) else { return false }
        if peer.gid == gid { return true }
        if let groups = peer.groups { return groups.contains(gid) }
        let user: (name: String, gid: gid_t)? = withLookupBuffer { buffer in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let status = getpwuid_r(peer.uid, &entry, buffer.baseAddress!, buffer.count, &result)
            guard result != nil, let name = entry.pw_name else { return (status, nil) }
            return (status, (String(cString: name), entry.pw_gid))
        }
        guard let user else { return false }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user.name, user.gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(user.name, user.gid, &groups, &count) >= 0 else { return false }
        }
        return groups.prefix(Int(count)).contains(gid)
    }

    /// Runs a `get*_r` lookup with a buffer that grows while the lookup answers `ERANGE`.
    private static func withLookupBuffer<T>(
        _ lookup: (UnsafeMutableBufferPointer<CChar>) -> (status: Int32, value: T?)
    ) -> T? {
        var size = 4096
        while size <= 1 << 20 {
            var buffer = [CChar](repeating: 0, count: size)
            let answer = buffer.withUnsafeMutableBufferPointer { lookup($0) }
            if answer.status == ERANGE {
                size *= 4
                continue
            }
            return answer.status == 0 ? answer.value : nil
        }
        return nil
    }
}
