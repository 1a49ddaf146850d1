import CEvering
import CEveringReference
import Evering

/// The 16-byte element the Swift side streams: the same bytes as the C `evref_entry`,
/// but a plain Swift struct, as a user of `QueueProducer<Element>` would write it.
public struct StreamEntry: BitwiseCopyable, Equatable {
    public var sequence: UInt64
    public var check: UInt64

    @inlinable @inline(__always)
    public init(sequence: UInt64) {
        self.sequence = sequence
        check = evref_check(sequence)
    }
}

/// The Swift halves of the ring benchmarks: the same loops as the C reference in
/// CEveringReference/reference_ring.c (same verification, same deadline checks), driving
/// the library's `QueueProducer`/`QueueConsumer`. `@inline(never)` keeps each loop a
/// separate function so a profile attributes time to it.
enum SwiftRingLoops {
    /// Failed attempts between two looks at the clock, as in the C loops.
    static let clockEvery: UInt32 = 0xFFFF

    @inline(never)
    static func produce<Element: BitwiseCopyable>(_ producer: QueueProducer<Element>, count: UInt64, deadline: UInt64,
                                                  make: (UInt64) -> Element) -> evref_outcome {
        var spins: UInt32 = 0
        var sequence: UInt64 = 0
        while sequence < count {
            let entry = make(sequence)
            while !producer.trySend(entry) {
                spins &+= 1
                if spins & clockEvery == 0 && ev_monotonic_ns() > deadline {
                    return evref_outcome(transferred: sequence, errors: 0, timed_out: 1)
                }
            }
            sequence &+= 1
        }
        return evref_outcome(transferred: count, errors: 0, timed_out: 0)
    }

    @inline(never)
    static func consume<Element: BitwiseCopyable>(_ consumer: QueueConsumer<Element>, count: UInt64, deadline: UInt64,
                                                  isValid: (Element, UInt64) -> Bool) -> evref_outcome {
        var spins: UInt32 = 0
        var sequence: UInt64 = 0
        var errors: UInt64 = 0
        while sequence < count {
            guard let entry = consumer.tryReceive() else {
                spins &+= 1
                if spins & clockEvery == 0 && ev_monotonic_ns() > deadline {
                    return evref_outcome(transferred: sequence, errors: errors, timed_out: 1)
                }
                continue
            }
            errors &+= isValid(entry, sequence) ? 0 : 1
            sequence &+= 1
        }
        return evref_outcome(transferred: count, errors: errors, timed_out: 0)
    }

    @inline(never)
    static func produce16(_ producer: QueueProducer<StreamEntry>, count: UInt64, deadline: UInt64) -> evref_outcome {
        produce(producer, count: count, deadline: deadline) { StreamEntry(sequence: $0) }
    }

    @inline(never)
    static func consume16(_ consumer: QueueConsumer<StreamEntry>, count: UInt64, deadline: UInt64) -> evref_outcome {
        consume(consumer, count: count, deadline: deadline) { entry, sequence in
            entry.sequence == sequence && entry.check == evref_check(sequence)
        }
    }

    @inline(never)
    static func produce32(_ producer: QueueProducer<ev_entry>, count: UInt64, deadline: UInt64) -> evref_outcome {
        produce(producer, count: count, deadline: deadline) { sequence in
            ev_entry(op_id: evref_check(sequence), opcode: 1, flags: 0, length: 0, user_data: sequence, result: 0, reserved: 0)
        }
    }

    @inline(never)
    static func consume32(_ consumer: QueueConsumer<ev_entry>, count: UInt64, deadline: UInt64) -> evref_outcome {
        consume(consumer, count: count, deadline: deadline) { entry, sequence in
            entry.user_data == sequence && entry.op_id == evref_check(sequence)
        }
    }

    /// Sends sequence i, waits for its echo (check word + 1), records the round trip.
    @inline(never)
    static func initiate(out: QueueProducer<StreamEntry>, in input: QueueConsumer<StreamEntry>, count: UInt64,
                         roundTrips: UnsafeMutablePointer<UInt64>, deadline: UInt64) -> evref_outcome {
        var spins: UInt32 = 0
        var errors: UInt64 = 0
        var sequence: UInt64 = 0
        while sequence < count {
            let start = ev_monotonic_ns()
            let request = StreamEntry(sequence: sequence)
            while !out.trySend(request) {
                spins &+= 1
                if spins & clockEvery == 0 && ev_monotonic_ns() > deadline {
                    return evref_outcome(transferred: sequence, errors: errors, timed_out: 1)
                }
            }
            var reply = input.tryReceive()
            while reply == nil {
                spins &+= 1
                if spins & clockEvery == 0 && ev_monotonic_ns() > deadline {
                    return evref_outcome(transferred: sequence, errors: errors, timed_out: 1)
                }
                reply = input.tryReceive()
            }
            roundTrips[Int(truncatingIfNeeded: sequence)] = ev_monotonic_ns() &- start
            let echoed = reply.unsafelyUnwrapped
            errors &+= (echoed.sequence == sequence && echoed.check == request.check &+ 1) ? 0 : 1
            sequence &+= 1
        }
        return evref_outcome(transferred: count, errors: errors, timed_out: 0)
    }

    /// Receives each request and echoes what arrived with the check word + 1.
    @inline(never)
    static func echo(in input: QueueConsumer<StreamEntry>, out: QueueProducer<StreamEntry>, count: UInt64,
                     deadline: UInt64) -> evref_outcome {
        var spins: UInt32 = 0
        var errors: UInt64 = 0
        var sequence: UInt64 = 0
        while sequence < count {
            var received = input.tryReceive()
            while received == nil {
                spins &+= 1
                if spins & clockEvery == 0 && ev_monotonic_ns() > deadline {
                    return evref_outcome(transferred: sequence, errors: errors, timed_out: 1)
                }
                received = input.tryReceive()
            }
            var reply = received.unsafelyUnwrapped
            errors &+= (reply.sequence == sequence && reply.check == evref_check(sequence)) ? 0 : 1
            reply.check &+= 1
            while !out.trySend(reply) {
                spins &+= 1
                if spins & clockEvery == 0 && ev_monotonic_ns() > deadline {
                    return evref_outcome(transferred: sequence, errors: errors, timed_out: 1)
                }
            }
            sequence &+= 1
        }
        return evref_outcome(transferred: count, errors: errors, timed_out: 0)
    }
}
