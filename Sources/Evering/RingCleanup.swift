#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEvering

/// Removes rings nobody uses any more (`evering-top cleanup`, docs/ABI.md "Recovery"): a ring
/// goes only when every side is dead or cleanly gone, and the name is never unlinked from
/// under a process that is creating the ring again: the object is first moved aside to a
/// private name, the object that was moved is checked again, and only then unlinked (or
/// moved back).
public enum RingCleanup {
    /// Why a side keeps its ring.
    public struct LiveSide: Equatable, Sendable, CustomStringConvertible {
        public var side: RingSide
        public var pid: Int32
        public var description: String { "the \(side) (pid \(pid)) is alive" }
    }

    public enum Outcome: Equatable, Sendable {
        /// Unlinked (or, in a dry run, would be).
        case removed
        /// A side is alive: the ring stays.
        case kept(LiveSide)
        /// The name was re-created while we worked: the new object was put back untouched.
        case recreated
        /// Not a ready evering ring (foreign, or still being created): not ours to judge.
        case skipped(RingError)
    }

    /// The first side of `region` that is alive (a live owner, or a live 1.0 holder), if any.
    /// A side whose pid namespace is not ours is judged by its heartbeat.
    public static func liveSide(in region: SharedRegion) -> LiveSide? {
        for side in RingSide.allCases {
            let block = region.side(side)
            // Acquire pairs with the claimant's CAS / the releasing side's CAS to 0.
            let owner = SideOwner(rawValue: region.header.pointee.abi_minor >= UInt16(EV_ABI_MINOR_1_1)
                                  ? ev_load_acquire_u64(ev_side_owner_ptr(block)) : 0)
            if owner != .none, SideClaim.isAlive(owner, block: block, pidNamespace: PidNamespace.current) {
                return LiveSide(side: side, pid: owner.pid)
            }
            if let holder = SideClaim.liveLegacyHolder(block), owner == .none || owner.pid != holder.pid {
                return LiveSide(side: side, pid: holder.pid)
            }
        }
        return nil
    }

    /// Removes `name` if no side is alive. `dryRun` judges without changing anything.
    /// `beforeMove` runs between the verdict and the move (a test hook: re-create the ring there).
    public static func clean(_ name: RingName, dryRun: Bool = false,
                             beforeMove: () -> Void = {}) throws(RingError) -> Outcome {
        let judged: (device: UInt64, inode: UInt64)
        do throws(RingError) {
            let region = try SharedRegion.open(name, writable: false)
            if let live = liveSide(in: region) { return .kept(live) }
            judged = region.identity
        } catch .notReady(let path) {
            return .skipped(.notReady(path))
        } catch .notEvering(let path, let reason) {
            return .skipped(.notEvering(path, reason: reason))
        }
        if dryRun { return .removed }
        beforeMove()
        let aside = try RingName(".evering-cleanup-\(getpid())-\(name.bare.prefix(100))")
        try SystemCalls.rename(name, to: aside)
        // Re-check what we moved: the object we judged (same inode), still with no live side?
        let keep: Bool
        do throws(RingError) {
            let moved = try SharedRegion.open(aside, writable: false)
            keep = moved.identity != judged || liveSide(in: moved) != nil
        } catch {
            keep = true  // whatever it is now, it is not the dead ring we judged
        }
        if keep {
            // Put it back without replacing anything created under the name meanwhile.
            try SystemCalls.linkBack(aside, to: name)
            try SystemCalls.shmUnlink(aside)
            return .recreated
        }
        try SystemCalls.shmUnlink(aside)
        return .removed
    }
}

extension SystemCalls {
    /// Moves /dev/shm/FROM to /dev/shm/TO (replacing TO, a private name of ours).
    static func rename(_ from: RingName, to: RingName) throws(RingError) {
        guard Glibc.rename(shmDirectory + from.path, shmDirectory + to.path) == 0 else {
            let err = errno
            if err == ENOENT { throw .notFound(from.path) }
            throw .system(call: "rename(\(from.path) to \(to.path))", errno: err)
        }
    }

    /// Makes /dev/shm/TO another name of FROM, failing rather than replacing an existing TO.
    static func linkBack(_ from: RingName, to: RingName) throws(RingError) {
        guard link(shmDirectory + from.path, shmDirectory + to.path) == 0 else {
            let err = errno
            if err == EEXIST { throw .alreadyExists(to.path) }
            throw .system(call: "link(\(from.path) to \(to.path))", errno: err)
        }
    }
}
