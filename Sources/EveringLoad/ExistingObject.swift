import Evering

/// What already sits at a ring name the requester wants to create, so `load` can say
/// whether taking the name over is safe: a ring left by an earlier run (replace it), one
/// still in use (stop its users or pick another name), or another program's object
/// (never ours to remove). Read through the read-only observer: probing writes nothing.
public enum ExistingObject: Equatable, Sendable {
    /// An evering ring; `alive` lists the attached sides whose processes still run.
    case ring(alive: [(role: String, pid: Int32)])
    /// Not an evering object at all (wrong magic, too small): another program's.
    case foreign(reason: String)
    /// Evering-looking but unreadable for now (not ready, other ABI, permission...).
    case unreadable(reason: String)

    public static func == (a: ExistingObject, b: ExistingObject) -> Bool {
        switch (a, b) {
        case let (.ring(x), .ring(y)): x.map(\.role) == y.map(\.role) && x.map(\.pid) == y.map(\.pid)
        case let (.foreign(x), .foreign(y)), let (.unreadable(x), .unreadable(y)): x == y
        default: false
        }
    }

    /// Looks at `name`; nil when nothing is there (or it vanished meanwhile).
    public static func probe(_ name: RingName) -> ExistingObject? {
        do {
            let observer = try RingObserver(attaching: name)
            let alive = [(RingSide.requester, "requester"), (RingSide.responder, "responder")].compactMap { side, role in
                let info = observer.side(side)
                return info.state == .attached && info.identity.liveness.isPresent ? (role: role, pid: info.identity.pid) : nil
            }
            return .ring(alive: alive)
        } catch .notFound {
            return nil
        } catch .notEvering(_, let reason) {
            return .foreign(reason: reason)
        } catch {
            return .unreadable(reason: error.description)
        }
    }

    /// Whether `--replace` may remove it: never another program's object.
    public var mayReplace: Bool {
        if case .foreign = self { return false }
        return true
    }

    /// The error `load` gives when `name` is taken (without --replace, or with it on a
    /// foreign object), saying what is there and what to do.
    public func takenMessage(_ name: RingName, replaceRequested: Bool) -> String {
        switch self {
        case .ring(let alive) where alive.isEmpty:
            return "\(name) already exists: an evering ring left by an earlier run (no live process attached); pass --replace to remove it, or pick another name"
        case .ring(let alive):
            let users = alive.map { "\($0.role) pid \($0.pid)" }.joined(separator: ", ")
            return "\(name) already exists and is in use (\(users) alive): pick another name, or stop those processes first (--replace would pull the ring out from under them)"
        case .foreign(let reason):
            let refused = replaceRequested ? "; --replace removes only evering rings, so it was left alone" : ""
            return "\(name) already exists and is not an evering ring (\(reason)): it belongs to another program; pick another name\(refused)"
        case .unreadable(let reason):
            return "\(name) already exists and cannot be read as a ring (\(reason)); pass --replace to remove it, or pick another name"
        }
    }
}
