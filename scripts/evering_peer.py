#!/usr/bin/env python3
"""evering reference peer: `evering-top load`'s wire protocol in Python.

It follows docs/ABI.md (the ring) and docs/LOAD.md (the load protocol) and uses nothing those
two documents do not state, to show they are enough for another language (the section names in
comments point at them). It speaks both roles:

    evering_peer.py responder NAME [--mode pingpong|stream] [--payload BYTES] [--abi 1.0|1.1] [--json]
        joins the ring `evering-top load NAME --role requester` creates and answers until the
        requester detaches (nothing on the ring says the mode: give the requester's; the answer's
        size is the request's unless --payload is given);
    evering_peer.py requester NAME [--mode pingpong|stream] [--payload BYTES] [--count N]
                              [--concurrency N] [--abi 1.0|1.1] [--keep] [--json]
        creates the ring, waits for `evering-top load NAME --role responder`, runs N ops,
        detaches and unlinks the ring (unless --keep);
    evering_peer.py vectors
        prints payload test vectors (size, tag, hex) for cross-checking PayloadFormat.

Exit status: 0 when every op verified and the run ended normally, 1 on any verification error
or failure (a dead, hung or departed peer), 2 on bad arguments.

LIMITS, on purpose:
- **x86-64 only.** The standard library has no atomics. The peer relies on x86-64's memory
  model (TSO: an aligned 8-byte load is an acquire load, an aligned 8-byte store a release
  store) and on CPython doing every `memoryview.cast('Q')` item access as one aligned 8-byte
  `mov` (its pack/unpack is a fixed-size memcpy, which compilers emit as one move). The
  interpreter executes statements in program order with opaque calls in between, so the
  compiler cannot reorder them either. On other architectures this peer is wrong.
- **Read-modify-writes** (the 1.1 owner-word CAS, the refcount updates) go through libatomic
  (`ctypes.CDLL("libatomic.so.1")`, `__atomic_compare_exchange_8/_4`, `__atomic_fetch_add_4`).
  `--abi` says which ABI the peer writes as: 1.1 (the default with libatomic) claims sides by
  CAS on every ring, and the requester creates 1.1 rings and keeps the slot seqlock; 1.0 (the
  default without libatomic) checks then writes, creates 1.0 rings, and refuses rings whose
  writer_features require more, naming the bits. A 1.0 writer without libatomic updates
  `refcount` with a plain read-modify-write (wrong only if both sides attach or detach in the
  same instant; the count only decides who may unlink).
- **No futex wake-ups.** The peer never sleeps on a futex and never calls FUTEX_WAKE, so it
  does not advertise EV_CAP_WAKES_PEER: it is the interop test for a peer without the 1.1
  wake-up capability (the other side must fall back to polling with backoff).
- **Speed.** Pure Python: building a 1 MiB payload takes about 0.08 s and checking one about
  0.05 s here, and a 16 B round trip tens of microseconds. Fine for proving the protocol, not
  for benchmarks.
- The object is opened through /dev/shm directly: multiprocessing.shared_memory's resource
  tracker would unlink segments this process did not create.
"""

import argparse
import array
import ctypes
import json
import mmap
import os
import signal
import struct
import sys
import threading
import time

M64 = (1 << 64) - 1

# ---------------------------------------------------------------------------------------------
# ABI constants and offsets (docs/ABI.md; Sources/CEvering/include/evering_abi.h)
# ---------------------------------------------------------------------------------------------

EV_MAGIC = 0x00474E4952455645  # "EVERING\0" as a little-endian u64
ABI_MAJOR = 1
HEADER_PAGE = 4096
SQ_BLOCK = 512
CQ_BLOCK = 896
ENTRY_SIZE = 32
SLOT_SIZE = 64
MAX_CAPACITY = 1 << 24
MAX_SLOTS = 1 << 20
MAX_BUFFER = 1 << 24

# header fields
H_MAGIC, H_MAJOR, H_MINOR, H_HEADER_SIZE, H_TOTAL = 0, 8, 10, 12, 16
H_READY, H_REFCOUNT, H_CREATED, H_CREATOR, H_SLOTS = 24, 28, 32, 40, 44
H_BUFSIZE, H_FLAGS, H_SLOTS_OFF, H_BUFS_OFF, H_SQ_OFF, H_CQ_OFF = 48, 52, 56, 64, 72, 80
H_WRITER_FEATURES = 88
SIDES = 128  # side block i at 128 + 64 * i
REQUESTER, RESPONDER = 0, 1
SIDE_NAMES = ("requester", "responder")

# side block fields
S_PID, S_STATE, S_START, S_HEARTBEAT, S_ATTACHED_AT, S_DETACHED_AT = 0, 4, 8, 16, 24, 32
S_OWNER, S_PID_NS, S_CAPS, S_CLAIMS = 40, 48, 56, 60
NEVER, ATTACHED, DETACHED = 0, 1, 2

# queue block fields
Q_CAPACITY, Q_MASK, Q_ENTRY_SIZE, Q_ENTRIES_OFF = 0, 4, 8, 16
Q_HEAD, Q_EMPTY_WAITS, Q_TAIL, Q_FULL_STALLS = 128, 136, 256, 264

# entry: op_id u64, opcode u16, flags u16, length u32, user_data u64, result i32, reserved u32
ENTRY = struct.Struct("<QHHIQiI")
# slot record from offset 4: generation, opcode, flags, length, submitted_ns, completed_ns,
# result_length, result, user_data (the state u32 at 0 and seq u32 at 48 are stored apart)
SLOT_FIELDS = struct.Struct("<IHHIQQIiQ")
SLOT_FREE, SLOT_SUBMITTED, SLOT_WAITING, SLOT_COMPLETED, SLOT_CANCELLED = 0, 1, 2, 3, 4
SLOT_SEQ = 48

# 1.1
EV_WRITER_OWNER_CLAIM = 1 << 0
EV_WRITER_SLOT_SEQ = 1 << 1
KNOWN_WRITER_FEATURES = EV_WRITER_OWNER_CLAIM | EV_WRITER_SLOT_SEQ
EV_CAP_WAKES_PEER = 1 << 0  # never advertised by this peer (see the module docstring)
EV_CAP_SLOT_SEQ = 1 << 1

HEARTBEAT_PERIOD = 0.050  # docs/ABI.md "Heartbeat and liveness"
STALE_HEARTBEAT_NS = 5 * 50_000_000  # five periods without a store

# load protocol (docs/LOAD.md)
OPCODE_ECHO = 1
OPCODE_LEAK = 2
EBADMSG = 74


def monotonic_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def realtime_ns():
    return time.clock_gettime_ns(time.CLOCK_REALTIME)


class PeerError(Exception):
    """A failure worth one line to the user (the run ends with exit status 1)."""


STOP = threading.Event()  # set by SIGINT/SIGTERM: the requester stops submitting and drains


def request_stop(_signal, _frame):
    STOP.set()


# ---------------------------------------------------------------------------------------------
# Payload format (docs/LOAD.md "Payload format")
# ---------------------------------------------------------------------------------------------

RESPONSE_BIT = 1 << 63
REJECTED_BIT = 1 << 62
SEQUENCE_MASK = REJECTED_BIT - 1
GOLDEN = 0x9E3779B97F4A7C15
HEADER_ONLY_KEY = 0x2545F4914F6CDD1D
BODY_KEY = 0x5851F42D4C957F2D
CHAIN_KEYS = (0, 0x1111111111111111, 0x2222222222222222, 0x3333333333333333)
STEP_MULTIPLIER = 0x00000100000001B3


def mix(value):
    """splitmix64's finaliser."""
    z = (value + GOLDEN) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def make_tag(sequence, response, rejected=False):
    return (sequence & SEQUENCE_MASK) | (RESPONSE_BIT if response else 0) | (REJECTED_BIT if rejected else 0)


def body_hash(tag, words):
    """Four chains: body word k feeds chain k % 4; folded with mix."""
    chains = []
    for lane in range(4):
        h = mix(tag ^ CHAIN_KEYS[lane])
        for w in words[lane::4]:
            h = ((h ^ w) * STEP_MULTIPLIER) & M64
            h = ((h << 29) | (h >> 35)) & M64
        chains.append(h)
    h0, h1, h2, h3 = chains
    return mix(h0 ^ mix(h1 ^ mix(h2 ^ mix(h3))))


def words_of(data):
    """Little-endian u64 words of `data`, the last one zero-extended if partial."""
    full = len(data) // 8
    words = array.array("Q")
    words.frombytes(bytes(data[:full * 8]))
    if sys.byteorder != "little":
        words.byteswap()
    result = words.tolist()
    if len(data) % 8:
        result.append(int.from_bytes(bytes(data[full * 8:]), "little"))
    return result


def encode(tag, size):
    """The `size`-byte payload for `tag`."""
    if size < 4:
        raise ValueError("payloads are at least 4 bytes")
    if size == 16:
        return struct.pack("<QQ", tag, mix(tag ^ HEADER_ONLY_KEY))
    if size > 16:
        body_bytes = size - 16
        count = (body_bytes + 7) // 8
        start = mix(tag ^ BODY_KEY)
        words = [(start + k * GOLDEN) & M64 for k in range(count)]
        packed = array.array("Q", words)
        if sys.byteorder != "little":
            packed.byteswap()
        body = packed.tobytes()[:body_bytes]
        if body_bytes % 8:
            words[-1] &= (1 << (8 * (body_bytes % 8))) - 1
        return struct.pack("<QQ", tag, body_hash(tag, words)) + body
    if size >= 8:
        return struct.pack("<Q", tag) + mix(tag).to_bytes(8, "little")[:size - 8]
    packed = (tag & 0x3FFFFFFF) | ((1 << 31) if tag & RESPONSE_BIT else 0) | ((1 << 30) if tag & REJECTED_BIT else 0)
    return struct.pack("<I", packed) + mix(packed).to_bytes(8, "little")[:size - 4]


class Decoded:
    __slots__ = ("sequence", "bits", "response", "rejected")

    def __init__(self, sequence, bits, response, rejected):
        self.sequence, self.bits, self.response, self.rejected = sequence, bits, response, rejected

    def matches(self, expected):
        return self.sequence == expected & ((1 << self.bits) - 1)


def decode(data):
    """The tag a payload carries, or None when it is shorter than 4 bytes or fails its check."""
    n = len(data)
    if n < 4:
        return None
    if n >= 8:
        tag = int.from_bytes(bytes(data[0:8]), "little")
        if n == 16:
            ok = int.from_bytes(bytes(data[8:16]), "little") == mix(tag ^ HEADER_ONLY_KEY)
        elif n > 16:
            ok = int.from_bytes(bytes(data[8:16]), "little") == body_hash(tag, words_of(data[16:]))
        else:
            ok = bytes(data[8:n]) == mix(tag).to_bytes(8, "little")[:n - 8]
        if not ok:
            return None
        return Decoded(tag & SEQUENCE_MASK, 62, bool(tag & RESPONSE_BIT), bool(tag & REJECTED_BIT))
    packed = int.from_bytes(bytes(data[0:4]), "little")
    if bytes(data[4:n]) != mix(packed).to_bytes(8, "little")[:n - 4]:
        return None
    return Decoded(packed & 0x3FFFFFFF, 30, bool(packed >> 31 & 1), bool(packed >> 30 & 1))


# ---------------------------------------------------------------------------------------------
# Read-modify-write atomics (libatomic through ctypes)
# ---------------------------------------------------------------------------------------------

ACQUIRE, ACQ_REL = 2, 4


class Atomics:
    """The three read-modify-writes the ABI needs. `available` is False without libatomic."""

    def __init__(self):
        try:
            lib = ctypes.CDLL("libatomic.so.1")
            # getattr: a literal `lib.__atomic_...` inside a class would be name-mangled
            self._cas = getattr(lib, "__atomic_compare_exchange_8")
            self._cas.restype = ctypes.c_bool
            self._cas.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int, ctypes.c_int]
            self._cas32 = getattr(lib, "__atomic_compare_exchange_4")
            self._cas32.restype = ctypes.c_bool
            self._cas32.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_int]
            self._add = getattr(lib, "__atomic_fetch_add_4")
            self._sub = getattr(lib, "__atomic_fetch_sub_4")
            for f in (self._add, self._sub):
                f.restype = ctypes.c_uint32
                f.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int]
            self.available = True
        except (OSError, AttributeError):
            self.available = False

    def compare_exchange_u64(self, address, expected, desired):
        """acq_rel on success, acquire on failure; returns (won, value seen)."""
        slot = ctypes.c_uint64(expected)
        won = self._cas(address, ctypes.addressof(slot), desired, ACQ_REL, ACQUIRE)
        return won, slot.value

    def compare_exchange_u32(self, address, expected, desired):
        """acq_rel on success, acquire on failure; returns (won, value seen)."""
        slot = ctypes.c_uint32(expected)
        won = self._cas32(address, ctypes.addressof(slot), desired, ACQ_REL, ACQUIRE)
        return won, slot.value

    def fetch_add_u32(self, address, value):
        return self._add(address, value, ACQ_REL)

    def fetch_sub_u32(self, address, value):
        return self._sub(address, value, ACQ_REL)


ATOMICS = Atomics()


# ---------------------------------------------------------------------------------------------
# Processes: identity and liveness (docs/ABI.md "Side block", "Heartbeat and liveness")
# ---------------------------------------------------------------------------------------------

def proc_stat(pid):
    """(state letter, start time in clock ticks, flags, pending signals) of `pid`, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
    # field 3 is the state, field 9 the PF_* flags, field 22 the start time, 31 pending signals
    return fields[0], int(fields[19]), int(fields[6]), int(fields[28])


PF_EXITING = 0x4  # include/linux/sched.h: set by do_exit() before the memory is torn down
SIGKILL_PENDING = 1 << (9 - 1)  # queued on every thread the moment kill(pid, SIGKILL) returns


def own_start_time():
    return proc_stat(os.getpid())[1]


def own_pid_namespace():
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def process_alive(pid, start_time, start_mask=M64):
    """Alive: the pid exists with the recorded start time, is not a zombie, not killed."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    stat = proc_stat(pid)
    if stat is None or stat[0] in ("Z", "X") or stat[2] & PF_EXITING or stat[3] & SIGKILL_PENDING:
        return False
    return stat[1] & start_mask == start_time & start_mask


# ---------------------------------------------------------------------------------------------
# The ring
# ---------------------------------------------------------------------------------------------

class Ring:
    """A mapped, validated ring object: typed loads and stores at byte offsets."""

    def __init__(self, name, fd, size):
        self.name = name
        self.fd = fd
        self.size = size
        self.mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        view = memoryview(self.mm)
        self.u64 = view.cast("Q")
        self.u32 = view.cast("I")
        self._anchor = ctypes.c_char.from_buffer(self.mm)  # for libatomic's pointers
        self.address = ctypes.addressof(self._anchor)

    # Loads and stores: aligned 8/4-byte accesses (acquire loads and release stores on x86-64).
    def load64(self, off):
        return self.u64[off >> 3]

    def store64(self, off, value):
        self.u64[off >> 3] = value & M64

    def load32(self, off):
        return self.u32[off >> 2]

    def store32(self, off, value):
        self.u32[off >> 2] = value & 0xFFFFFFFF

    def header_u16(self, off):
        return struct.unpack_from("<H", self.mm, off)[0]

    def read_layout(self):
        """docs/ABI.md "Validation", steps 3-7 (the caller did 1-2)."""
        major, minor, header_size = struct.unpack_from("<HHI", self.mm, H_MAJOR)
        if major != ABI_MAJOR:
            raise PeerError(f"{self.name}: ABI {major}.{minor}; this peer speaks ABI {ABI_MAJOR}")
        if header_size < HEADER_PAGE or header_size % HEADER_PAGE or header_size > self.size:
            raise PeerError(f"{self.name}: header_size {header_size} is invalid")
        total = self.load64(H_TOTAL)
        if total != self.size:
            raise PeerError(f"{self.name}: total_size says {total} bytes but the object has {self.size}")
        self.minor = minor
        self.writer_features = self.load32(H_WRITER_FEATURES) if minor >= 1 else 0
        self.slot_count = self.load32(H_SLOTS)
        self.buffer_size = self.load32(H_BUFSIZE)
        self.slots_off = self.load64(H_SLOTS_OFF)
        self.buffers_off = self.load64(H_BUFS_OFF)
        self.sq = self._queue("sq", self.load64(H_SQ_OFF), header_size)
        self.cq = self._queue("cq", self.load64(H_CQ_OFF), header_size)
        if not (self.sq["block"] + 384 <= self.cq["block"] or self.cq["block"] + 384 <= self.sq["block"]):
            raise PeerError(f"{self.name}: the queue blocks overlap")
        if not 1 <= self.slot_count <= MAX_SLOTS:
            raise PeerError(f"{self.name}: slot_count {self.slot_count} is out of range")
        if self.buffer_size % 64 or self.buffer_size > MAX_BUFFER:
            raise PeerError(f"{self.name}: buffer_size {self.buffer_size} is invalid")
        sections = [("sq entries", self.sq["entries"], self.sq["capacity"] * ENTRY_SIZE),
                    ("cq entries", self.cq["entries"], self.cq["capacity"] * ENTRY_SIZE),
                    ("slots", self.slots_off, self.slot_count * SLOT_SIZE),
                    ("buffers", self.buffers_off, self.slot_count * self.buffer_size)]
        for label, start, length in sections:
            if start % 64 or start < header_size or start + length > self.size:
                raise PeerError(f"{self.name}: {label} section [{start}, +{length}) lies outside the object")
        placed = sorted((s, s + n, label) for label, s, n in sections if n > 0)
        for (_, end_a, a), (start_b, _, b) in zip(placed, placed[1:]):
            if end_a > start_b:
                raise PeerError(f"{self.name}: {a} overlaps {b}")

    def _queue(self, label, block, header_size):
        if block % 64 or block < 512 or block > header_size - 384:
            raise PeerError(f"{self.name}: {label}_offset {block} is not a queue block inside the header page")
        capacity, mask, entry_size = self.load32(block), self.load32(block + 4), self.load32(block + 8)
        if not (2 <= capacity <= MAX_CAPACITY and capacity & (capacity - 1) == 0) or mask != capacity - 1:
            raise PeerError(f"{self.name}: {label}.capacity {capacity} / mask {mask} is invalid")
        if entry_size != ENTRY_SIZE:
            raise PeerError(f"{self.name}: {label}.entry_size is {entry_size}, not {ENTRY_SIZE}")
        # Capacity and offsets are taken once, here: never re-read from shared memory.
        return {"block": block, "capacity": capacity, "mask": mask, "entries": self.load64(block + Q_ENTRIES_OFF)}

    def buffer_offset(self, slot):
        return self.buffers_off + slot * self.buffer_size

    def close(self):
        del self._anchor
        self.u64.release()
        self.u32.release()
        self.mm.close()
        os.close(self.fd)


def shm_path(name):
    bare = name.lstrip("/")
    if not bare or "/" in bare or len(bare) > 200 or any(ord(c) < 32 for c in bare):
        raise PeerError(f"'{name}' is not a ring name (1-200 bytes, no '/' after the first, no control characters)")
    return "/dev/shm/" + bare


def open_ring(name, deadline):
    """Waits (until `deadline`) for a ready ring named `name`, then maps and validates it."""
    path = shm_path(name)
    while True:
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            fd = None
        if fd is not None:
            size = os.fstat(fd).st_size
            ready = False
            if size >= HEADER_PAGE:
                ring = Ring(name, fd, size)
                magic = ring.load64(H_MAGIC)
                if magic not in (0, EV_MAGIC):
                    ring.close()
                    raise PeerError(f"{path} is not an evering ring (its first 8 bytes are {magic:#x})")
                # Acquire (an x86 load): pairs with the creator's release store of ready.
                ready = magic == EV_MAGIC and ring.load32(H_READY) == 1
                if ready:
                    ring.read_layout()
                    return ring
                ring.close()
            elif size > 0:
                magic_bytes = os.pread(fd, 8, 0)
                os.close(fd)
                if len(magic_bytes) == 8 and int.from_bytes(magic_bytes, "little") not in (0, EV_MAGIC):
                    raise PeerError(f"{path} is not an evering ring")
            else:
                os.close(fd)
        if STOP.is_set():
            raise PeerError(f"stopped while waiting for a ring named {name}")
        if monotonic_ns() > deadline:
            raise PeerError(f"no ready ring named {name} appeared in time; start `evering-top load {name} --role requester` first")
        time.sleep(0.005)


def align_up(value, alignment=HEADER_PAGE):
    return (value + alignment - 1) // alignment * alignment


def create_ring(name, capacity, slot_count, buffer_size, minor):
    """docs/ABI.md "Creating a ring, step by step"."""
    path = shm_path(name)
    entries = capacity * ENTRY_SIZE
    sq_entries = HEADER_PAGE
    cq_entries = align_up(sq_entries + entries)
    slots = align_up(cq_entries + entries)
    buffers = align_up(slots + slot_count * SLOT_SIZE)
    total = align_up(buffers + slot_count * buffer_size)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    except FileExistsError:
        raise PeerError(f"{path} already exists (a ring of an earlier run? remove it with: rm {path})") from None
    try:
        os.fchmod(fd, 0o600)
        os.ftruncate(fd, total)  # zero-filled from here on
        os.posix_fallocate(fd, 0, total)  # a full /dev/shm fails now, not as SIGBUS later
        ring = Ring(name, fd, total)
        struct.pack_into("<QHHIQ", ring.mm, 0, EV_MAGIC, ABI_MAJOR, minor, HEADER_PAGE, total)
        struct.pack_into("<QiIIIQQQQ", ring.mm, H_CREATED, realtime_ns(), os.getpid(), slot_count, buffer_size, 0,
                         slots, buffers, SQ_BLOCK, CQ_BLOCK)
        if minor >= 1:
            ring.store32(H_WRITER_FEATURES, KNOWN_WRITER_FEATURES)
        for block, entries_off in ((SQ_BLOCK, sq_entries), (CQ_BLOCK, cq_entries)):
            struct.pack_into("<IIIIQ", ring.mm, block, capacity, capacity - 1, ENTRY_SIZE, 0, entries_off)
        # Release (an x86 store after the stores above): a reader that sees ready = 1 sees the header.
        ring.store32(H_READY, 1)
        ring.read_layout()
        return ring
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise


# ---------------------------------------------------------------------------------------------
# Taking a side (docs/ABI.md "Attaching, step by step")
# ---------------------------------------------------------------------------------------------

class Side:
    """This process's claim on one side block: identity, heartbeat thread, reference.

    `writer` is the ABI this peer writes as: "1.1" claims by compare-and-swap on the owner word
    on every ring (a 1.1 side does the same claim on a 1.0 ring, whose owner word is reserved
    zero bytes there) and writes the 1.1 side fields; "1.0" checks, then writes, as 1.0 does, and
    touches no 1.1 field, so it refuses rings that require more (`writer_features` non-zero).
    """

    def __init__(self, ring, side, writer, capabilities=0):
        self.ring = ring
        self.side = side
        self.off = SIDES + 64 * side
        self.detached = False
        self.by_cas = writer == "1.1"
        supported = KNOWN_WRITER_FEATURES if self.by_cas else 0
        unknown = ring.writer_features & ~supported
        if unknown:
            raise PeerError(f"{ring.name} requires writer features {unknown:#x} (writer_features {ring.writer_features:#x}), "
                            f"which this peer does not implement as an ABI {writer} writer")
        if self.by_cas and not ATOMICS.available:
            raise PeerError(f"claiming a side of {ring.name} as an ABI 1.1 writer needs a 64-bit compare-and-swap, and "
                            "libatomic.so.1 is not available to this Python (install libatomic1)")
        pid, start = os.getpid(), own_start_time()
        self.me = pid | (start & 0xFFFFFFFF) << 32
        state_at_claim = self._claim_by_cas() if self.by_cas else self._claim_1_0()
        o = self.off
        if self.by_cas:
            claims = ring.load32(o + S_CLAIMS)  # relaxed in the ABI; only the owner writes it
            ring.store32(o + S_CLAIMS, claims + 1)
            struct.pack_into("<Q", ring.mm, o + S_PID_NS, own_pid_namespace())
            ring.store32(o + S_CAPS, capabilities)  # never EV_CAP_WAKES_PEER
        struct.pack_into("<i", ring.mm, o + S_PID, pid)
        ring.store64(o + S_START, start)
        ring.store64(o + S_ATTACHED_AT, realtime_ns())
        ring.store64(o + S_DETACHED_AT, 0)
        ring.store64(o + S_HEARTBEAT, monotonic_ns())
        # Release (x86 store after the stores above): a reader that sees ATTACHED sees the identity.
        ring.store32(o + S_STATE, ATTACHED)
        # Then the reference. A holder that died attached never dropped its own: inherit it.
        if state_at_claim != ATTACHED:
            self._add_reference()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self._thread.start()

    def _taken(self, pid):
        return PeerError(f"the {SIDE_NAMES[self.side]} side of {self.ring.name} is taken by live pid {pid}")

    def _live_holder(self):
        """The pid of a live process the block says is attached, or None."""
        if self.ring.load32(self.off + S_STATE) != ATTACHED:  # acquire (x86 load)
            return None
        pid = struct.unpack_from("<i", self.ring.mm, self.off + S_PID)[0]
        return pid if process_alive(pid, self.ring.load64(self.off + S_START)) else None

    def _claim_1_0(self):
        """1.0: check, then write. Refuses a side held by a live process."""
        state = self.ring.load32(self.off + S_STATE)
        holder = self._live_holder()
        if holder is not None:
            raise self._taken(holder)
        return state

    def _claim_by_cas(self):
        """1.1: one CAS on the owner word decides who holds the side. Returns the block's state
        as the previous holder left it."""
        address = self.ring.address + self.off + S_OWNER
        old = self.ring.load64(self.off + S_OWNER)  # acquire (x86 load)
        while True:
            if old == 0:
                holder = self._live_holder()  # a 1.0 writer holds a side without an owner word
                if holder is not None:
                    raise self._taken(holder)
            elif old == self.me or self._owner_alive(old):
                raise self._taken(old & 0xFFFFFFFF)
            won, old = ATOMICS.compare_exchange_u64(address, old, self.me)  # acq_rel
            if won:
                return self.ring.load32(self.off + S_STATE)  # acquire

    def _owner_alive(self, owner):
        # pid_ns is the owner's only once it published its block (ATTACHED with its pid).
        published = (self.ring.load32(self.off + S_STATE) == ATTACHED
                     and struct.unpack_from("<i", self.ring.mm, self.off + S_PID)[0] == owner & 0xFFFFFFFF)
        ns = self.ring.load64(self.off + S_PID_NS) if published else 0
        mine = own_pid_namespace()
        if ns and mine and ns != mine:
            # Another pid namespace: its pid means nothing here; judge by the heartbeat.
            return monotonic_ns() - self.ring.load64(self.off + S_HEARTBEAT) <= STALE_HEARTBEAT_NS
        return process_alive(owner & 0xFFFFFFFF, owner >> 32, 0xFFFFFFFF)

    def _add_reference(self):
        address = self.ring.address + H_REFCOUNT
        if not self.by_cas:
            if ATOMICS.available:
                ATOMICS.fetch_add_u32(address, 1)  # acq_rel
            else:  # no libatomic: a plain read-modify-write (see the module docstring)
                self.ring.store32(H_REFCOUNT, self.ring.load32(H_REFCOUNT) + 1)
            return
        seen = self.ring.load32(H_REFCOUNT)  # acquire
        while seen < 2:  # never above 2: a count at 2 holds a leaked reference, inherited
            won, seen = ATOMICS.compare_exchange_u32(address, seen, seen + 1)  # acq_rel
            if won:
                return

    def _drop_reference(self):
        """True when this took the count from 1 to 0 (the caller may unlink)."""
        address = self.ring.address + H_REFCOUNT
        if not self.by_cas:
            if ATOMICS.available:
                return ATOMICS.fetch_sub_u32(address, 1) == 1  # acq_rel
            before = self.ring.load32(H_REFCOUNT)
            self.ring.store32(H_REFCOUNT, before - 1)
            return before == 1
        seen = self.ring.load32(H_REFCOUNT)  # acquire
        while seen > 0:  # saturating at 0
            won, seen_now = ATOMICS.compare_exchange_u32(address, seen, seen - 1)  # acq_rel
            if won:
                return seen == 1
            seen = seen_now
        return False

    def _beat(self):
        # Relaxed in the ABI: the heartbeat publishes nothing else.
        while not self._stop.wait(HEARTBEAT_PERIOD):
            self.ring.store64(self.off + S_HEARTBEAT, monotonic_ns())

    def detach(self):
        """Returns True when this was the last reference (the caller may unlink)."""
        if self.detached:
            return False
        self.detached = True
        self._stop.set()
        self._thread.join()
        if self.by_cas and self.ring.load64(self.off + S_OWNER) != self.me:  # acquire
            return False  # a rescuer judged us dead and took the side: block, reference and word are its
        self.ring.store64(self.off + S_DETACHED_AT, realtime_ns())
        self.ring.store32(self.off + S_STATE, DETACHED)  # release: after detached_at
        last = self._drop_reference()
        if self.by_cas:
            # Last, so a new claimant's CAS (acquire) sees the reference already dropped; a CAS
            # rather than a store leaves alone a word a rescuer took meanwhile.
            ATOMICS.compare_exchange_u64(self.ring.address + self.off + S_OWNER, self.me, 0)
        return last


class Peer:
    """The other side, judged as docs/ABI.md "Heartbeat and liveness" says."""

    def __init__(self, ring, side):
        self.ring, self.off, self.name = ring, SIDES + 64 * side, SIDE_NAMES[side]

    def state(self):
        return self.ring.load32(self.off + S_STATE)  # acquire (x86 load)

    def problem(self, hang_timeout_ns):
        """None while the peer is fine (or not there yet); else 'detached', or a failure text."""
        state = self.state()
        if state == DETACHED:
            return "detached"
        if state != ATTACHED:
            return None
        pid = struct.unpack_from("<i", self.ring.mm, self.off + S_PID)[0]
        if not process_alive(pid, self.ring.load64(self.off + S_START)):
            return f"the {self.name} (pid {pid}) died while attached"
        age = monotonic_ns() - self.ring.load64(self.off + S_HEARTBEAT)
        if hang_timeout_ns and age > hang_timeout_ns:
            return f"the {self.name} (pid {pid}) is hung: heartbeat stopped {age / 1e9:.1f} s ago"
        return None


class Backoff:
    """Polling without futexes: yield for ~200 us, then sleep 8 us doubling to 256 us."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.since = None
        self.sleeps = 0

    def pause(self):
        now = monotonic_ns()
        if self.since is None:
            self.since = now
        if now - self.since < 200_000:
            os.sched_yield()
        else:
            time.sleep(min(256e-6, 8e-6 * (1 << min(self.sleeps, 6))))
            self.sleeps += 1


class CorruptPeer(PeerError):
    pass


class QueueEnd:
    """One end of one queue: our own index cached, the other side's re-read when needed."""

    def __init__(self, ring, queue):
        self.ring = ring
        self.block, self.capacity, self.mask, self.entries = queue["block"], queue["capacity"], queue["mask"], queue["entries"]
        self.head = ring.load64(self.block + Q_HEAD)
        self.tail = ring.load64(self.block + Q_TAIL)
        self.stalled = False

    def _check(self, head, tail):
        used = (tail - head) & M64
        if used > self.capacity:
            raise CorruptPeer(f"queue at {self.block} has tail {tail} and head {head}: more than its {self.capacity} entries")

    # producer
    def try_send(self, entry):
        if (self.tail - self.head) & M64 == self.capacity:
            head = self.ring.load64(self.block + Q_HEAD)  # acquire: the consumer is done with the entry
            if (head - self.head) & M64 > self.capacity:
                raise CorruptPeer(f"queue at {self.block}: head went from {self.head} to {head}")
            self.head = head
            self._check(self.head, self.tail)
            if (self.tail - self.head) & M64 == self.capacity:
                if not self.stalled:  # once per full episode; we are the only writer
                    self.stalled = True
                    self.ring.store64(self.block + Q_FULL_STALLS, self.ring.load64(self.block + Q_FULL_STALLS) + 1)
                return False
        self.stalled = False
        ENTRY.pack_into(self.ring.mm, self.entries + (self.tail & self.mask) * ENTRY_SIZE, *entry)
        self.tail = (self.tail + 1) & M64
        self.ring.store64(self.block + Q_TAIL, self.tail)  # release: the entry before the index
        return True

    # consumer
    def try_receive(self):
        if self.head == self.tail:
            tail = self.ring.load64(self.block + Q_TAIL)  # acquire: pairs with the producer's release
            self._check(self.head, tail)
            self.tail = tail
            if self.head == self.tail:
                return None
        entry = ENTRY.unpack_from(self.ring.mm, self.entries + (self.head & self.mask) * ENTRY_SIZE)
        self.head = (self.head + 1) & M64
        self.ring.store64(self.block + Q_HEAD, self.head)  # release: the read before the index
        return entry


# ---------------------------------------------------------------------------------------------
# Responder (docs/LOAD.md "Session", "Responses", "What the responder checks")
# ---------------------------------------------------------------------------------------------

def run_responder(args):
    deadline = monotonic_ns() + int(args.connect_timeout * 1e9)
    ring = open_ring(args.name, deadline)
    report = {"role": "responder", "name": args.name, "abi": f"1.{ring.minor}", "writer": args.abi, "requests": 0, "rejected": 0,
              "leaked": 0, "endReason": "", "failed": False}
    side = None
    try:
        side = Side(ring, RESPONDER, args.abi, capabilities=0)
        submissions = QueueEnd(ring, ring.sq)
        completions = QueueEnd(ring, ring.cq)
        requester = Peer(ring, REQUESTER)
        expected = 0
        backoff = Backoff()
        next_check = monotonic_ns() + 100_000_000
        while True:
            if STOP.is_set():
                report["endReason"] = "signal"
                break
            entry = submissions.try_receive()
            if entry is None:
                now = monotonic_ns()
                if now >= next_check:
                    next_check = now + 100_000_000
                    problem = requester.problem(0)
                    if problem == "detached":
                        # Its detach is a release store after its last submission: one more look.
                        if (entry := submissions.try_receive()) is None:
                            report["endReason"] = "requester left: it detached from the ring"
                            break
                    elif problem:
                        raise PeerError(problem)
                if entry is None:
                    backoff.pause()
                    continue
            backoff.reset()
            op_id, opcode, _flags, length, user_data, _result, _ = entry
            report["requests"] += 1
            slot = op_id & 0xFFFFFFFF
            malformed = slot >= ring.slot_count or length > ring.buffer_size
            accepted = False
            if not malformed:
                start = ring.buffer_offset(slot)
                decoded = decode(ring.mm[start:start + length])
                if decoded and not decoded.response and not decoded.rejected:
                    accepted = decoded.matches(expected) and decoded.matches(user_data)
                    if decoded.bits >= 62:
                        expected = decoded.sequence  # resynchronise on a full sequence
            expected += 1
            if not accepted:
                report["rejected"] += 1
            if opcode == OPCODE_LEAK:
                report["leaked"] += 1
                continue  # cancelled by the requester: never answered
            answer = 0 if args.mode == "stream" else (args.payload if args.payload is not None else length)
            if malformed or answer > ring.buffer_size:
                answer, accepted = 0, False
            if answer:
                start = ring.buffer_offset(slot)
                ring.mm[start:start + answer] = encode(make_tag(user_data, True, not accepted), answer)
            completion = (op_id, opcode, 0, answer, user_data, 0 if accepted else -EBADMSG, 0)
            while not completions.try_send(completion):
                problem = requester.problem(0)
                if problem == "detached":
                    raise PeerError("requester left with its completion queue full")
                if problem:
                    raise PeerError(problem)
                backoff.pause()
    except PeerError as error:
        report["endReason"], report["failed"] = str(error), True
    finally:
        if side:
            side.detach()
        ring.close()
    return report


# ---------------------------------------------------------------------------------------------
# Requester (docs/LOAD.md "Session", "Requests", "What the requester checks")
# ---------------------------------------------------------------------------------------------

class Slots:
    """The requester's driver: slot records in shared memory (for inspectors), a free list here."""

    def __init__(self, ring, seqlock):
        self.ring = ring
        self.seqlock = seqlock
        self.free = list(range(ring.slot_count - 1, -1, -1))
        self.generation = [ring.load32(ring.slots_off + i * SLOT_SIZE + 4) for i in range(ring.slot_count)]
        self.in_flight = {}  # slot -> (generation, sequence)

    def _rewrite(self, slot, fields, state):
        off = self.ring.slots_off + slot * SLOT_SIZE
        if self.seqlock:
            seq = self.ring.load32(off + SLOT_SEQ)
            self.ring.store32(off + SLOT_SEQ, seq + 1)  # odd: changing (x86 keeps store order: the release fence)
        if fields is not None:
            SLOT_FIELDS.pack_into(self.ring.mm, off + 4, *fields)
        if self.seqlock:
            self.ring.store32(off + SLOT_SEQ, seq + 2)  # release: even again
        self.ring.store32(off, state)  # release: the record before the state

    def allocate(self, sequence, length):
        if not self.free:
            return None
        slot = self.free.pop()
        generation = (self.generation[slot] + 1) & 0xFFFFFFFF
        self.generation[slot] = generation
        submitted = monotonic_ns()
        self._rewrite(slot, (generation, OPCODE_ECHO, 0, length, submitted, 0, 0, 0, sequence), SLOT_SUBMITTED)
        self.in_flight[slot] = (generation, sequence, submitted, length)
        return slot, generation

    def complete(self, op_id, result, length):
        """The op's (sequence, latency) or None when op_id names no op in flight."""
        slot, generation = op_id & 0xFFFFFFFF, op_id >> 32
        held = self.in_flight.get(slot)
        if held is None or held[0] != generation:
            return None
        del self.in_flight[slot]
        now = monotonic_ns()
        _, sequence, submitted, request_length = held
        self._rewrite(slot, (generation, OPCODE_ECHO, 0, request_length, submitted, now, length, result, sequence),
                      SLOT_COMPLETED)
        return sequence, now - submitted

    def release(self, slot):
        self._rewrite(slot, None, SLOT_FREE)
        self.free.append(slot)


def run_requester(args):
    payload, mode = args.payload if args.payload is not None else 16, args.mode
    if not 4 <= payload <= 1 << 20:
        raise PeerError(f"--payload {payload} must be from 4 bytes to 1 MiB")
    minor = 1 if args.abi == "1.1" else 0
    if minor >= 1 and not ATOMICS.available:
        raise PeerError("--abi 1.1 needs a 64-bit compare-and-swap, and libatomic.so.1 is not available; use --abi 1.0")
    concurrency = args.concurrency or (1 if mode == "pingpong" else 64)
    slot_count = args.slots or concurrency + 8
    ring = create_ring(args.name, args.capacity, slot_count, max(64, align_up(payload, 64)), minor)
    summary = {"role": "requester", "name": args.name, "abi": f"1.{minor}", "mode": mode, "payloadBytes": payload,
               "concurrency": concurrency, "operations": 0, "verified": 0,
               "errors": {"corrupt": 0, "duplicate": 0, "reordered": 0, "rejectedByResponder": 0, "lost": 0},
               "elapsedSeconds": 0.0, "opsPerSecond": 0.0, "stopReason": "count", "failure": None}
    errors = summary["errors"]
    side = None
    try:
        seqlock = bool(ring.writer_features & EV_WRITER_SLOT_SEQ)
        side = Side(ring, REQUESTER, args.abi, capabilities=EV_CAP_SLOT_SEQ if seqlock else 0)
        submissions = QueueEnd(ring, ring.sq)
        completions = QueueEnd(ring, ring.cq)
        slots = Slots(ring, seqlock)
        responder = Peer(ring, RESPONDER)
        hang_ns = int(args.hang_timeout * 1e9)
        deadline = monotonic_ns() + int(args.connect_timeout * 1e9)
        while responder.state() != ATTACHED:  # the clock starts once the responder is there
            if STOP.is_set():
                raise PeerError(f"stopped while waiting for a responder on {args.name}")
            if monotonic_ns() > deadline:
                raise PeerError(f"no responder attached to {args.name} within {args.connect_timeout:g} s")
            time.sleep(0.002)
        expected_response = payload if mode == "pingpong" else 0
        count = args.count
        next_seq = oldest = completed_beyond = 0
        done = set()
        start = last_completion = monotonic_ns()
        next_check = start + 100_000_000
        backoff = Backoff()
        while oldest < count:
            if STOP.is_set() and count > next_seq:
                count, summary["stopReason"] = next_seq, "signal"  # stop submitting; drain what is out
                continue
            progressed = False
            while next_seq < count and next_seq - oldest < concurrency:
                op = slots.allocate(next_seq, payload)
                if op is None:
                    break
                slot, generation = op
                at = ring.buffer_offset(slot)
                ring.mm[at:at + payload] = encode(make_tag(next_seq, False), payload)
                if not submissions.try_send((slot | generation << 32, OPCODE_ECHO, 0, payload, next_seq, 0, 0)):
                    slots.in_flight.pop(slot)
                    slots.release(slot)
                    break
                next_seq += 1
                progressed = True
            while (entry := completions.try_receive()) is not None:
                progressed = True
                last_completion = monotonic_ns()
                summary["operations"] += 1
                op_id, _opcode, _flags, length, _user_data, result, _ = entry
                known = slots.complete(op_id, result, length)
                if known is None:
                    # No op in flight has this id (stale generation, slot out of range, already
                    # answered): as a completion for no outstanding op, a duplicate.
                    errors["duplicate"] += 1
                    continue
                # The sequence comes from our own slot record, not from the echoed user_data.
                sequence = known[0]
                slot = op_id & 0xFFFFFFFF
                if not oldest <= sequence < next_seq or sequence in done:
                    errors["duplicate"] += 1
                    slots.release(slot)
                    continue
                if sequence < completed_beyond:
                    errors["reordered"] += 1
                else:
                    completed_beyond = sequence + 1
                if result != 0:
                    errors["rejectedByResponder"] += 1
                elif length != expected_response:
                    errors["corrupt"] += 1
                elif length > 0:
                    at = ring.buffer_offset(slot)
                    decoded = decode(ring.mm[at:at + length])
                    if decoded and decoded.response and decoded.matches(sequence):
                        if decoded.rejected:
                            errors["rejectedByResponder"] += 1
                        else:
                            summary["verified"] += 1
                    else:
                        errors["corrupt"] += 1
                else:
                    summary["verified"] += 1
                slots.release(slot)
                done.add(sequence)
                while oldest in done:
                    done.discard(oldest)
                    oldest += 1
            if progressed:
                backoff.reset()
                continue
            now = monotonic_ns()
            if next_seq >= count and now - last_completion > args.drain_timeout * 1e9:
                summary["failure"] = (f"{next_seq - oldest} ops still in flight {args.drain_timeout:g} s after the last "
                                      "completion; the responder is not answering")
                break
            if now >= next_check:
                next_check = now + 100_000_000
                problem = responder.problem(hang_ns)
                if problem == "detached":
                    raise PeerError("responder gone: it detached from the ring")
                if problem:
                    raise PeerError(problem)
            backoff.pause()
        errors["lost"] = next_seq - oldest - len(done)
        elapsed = max((last_completion - start) / 1e9, 1e-9)
        summary["elapsedSeconds"] = elapsed
        summary["opsPerSecond"] = summary["operations"] / elapsed
    except PeerError as error:
        summary["failure"], summary["stopReason"] = str(error), "failure"
    finally:
        if side:
            side.detach()
        ring.close()
        if not args.keep:
            try:
                os.unlink(shm_path(args.name))
            except FileNotFoundError:
                pass
    return summary


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def parse_bytes(text):
    for suffix, scale in (("KiB", 1024), ("MiB", 1 << 20), ("K", 1024), ("M", 1 << 20), ("B", 1), ("", 1)):
        if text.endswith(suffix):
            number = text[:len(text) - len(suffix)] if suffix else text
            if number.isdigit():
                return int(number) * scale
    raise argparse.ArgumentTypeError(f"'{text}' is not a byte count like 16, 4K or 1MiB")


def print_vectors():
    """size tag hex, one payload per line: the same lines PayloadFormatTests computes in Swift."""
    for size in (4, 5, 7, 8, 9, 15, 16, 17, 24, 31, 48, 100, 4096):
        for tag in (0, 1, 0x3FFFFFFF + 5, make_tag(7, True), make_tag(123456789, True, True)):
            print(size, tag, encode(tag, size).hex())


def main(argv=None):
    parser = argparse.ArgumentParser(description="evering reference peer for `evering-top load` (see the module docstring)")
    sub = parser.add_subparsers(dest="role", required=True)
    for role in ("responder", "requester"):
        p = sub.add_parser(role)
        p.add_argument("name")
        p.add_argument("--mode", choices=("pingpong", "stream"), default="pingpong")
        p.add_argument("--payload", type=parse_bytes, default=None,
                       help="bytes per payload (requester: default 16; responder: default the request's size)")
        p.add_argument("--connect-timeout", type=float, default=10.0, help="seconds to wait for the other side")
        p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
        p.add_argument("--abi", choices=("1.0", "1.1"), default=None,
                       help="the ABI this peer writes as: 1.1 claims sides by compare-and-swap (and the requester "
                            "creates a 1.1 ring), 1.0 checks then writes (a 1.0 ring); default 1.1 when libatomic is available")
        if role == "requester":
            p.add_argument("--count", type=int, default=1000)
            p.add_argument("--concurrency", type=int, default=None)
            p.add_argument("--capacity", type=int, default=1024)
            p.add_argument("--slots", type=int, default=None)
            p.add_argument("--keep", action="store_true", help="leave the ring in /dev/shm")
            p.add_argument("--hang-timeout", type=float, default=3.0)
            p.add_argument("--drain-timeout", type=float, default=2.0)
    sub.add_parser("vectors")
    args = parser.parse_args(argv)
    if args.role == "vectors":
        print_vectors()
        return 0
    if args.abi is None:
        args.abi = "1.1" if ATOMICS.available else "1.0"
    if args.role == "requester":
        if args.count < 1 or (args.concurrency is not None and args.concurrency < 1):
            parser.error("--count and --concurrency must be positive")
        if args.capacity < 2 or args.capacity > MAX_CAPACITY or args.capacity & (args.capacity - 1):
            parser.error("--capacity must be a power of two from 2 to 2^24")
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        result = run_responder(args) if args.role == "responder" else run_requester(args)
    except PeerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.role == "responder":
        ok = not result["failed"] and result["rejected"] == 0
        text = (f"peer responder {args.name} (ring ABI {result['abi']}, writing as {args.abi}): {result['requests']} requests, "
                f"{result['rejected']} rejected, {result['leaked']} leaked; {result['endReason']}")
    else:
        errors = sum(result["errors"].values())
        ok = result["failure"] is None and errors == 0
        text = (f"peer requester {args.name} (ABI {result['abi']}): {result['mode']}, {result['payloadBytes']} B, "
                f"{result['operations']} ops, verified {result['verified']}, errors {errors} {result['errors']}"
                + (f"; failed: {result['failure']}" if result["failure"] else ""))
    print(json.dumps(result, sort_keys=True) if args.json else text)
    if not ok:
        print(f"error: {result.get('failure') or result.get('endReason') or 'verification errors'}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
