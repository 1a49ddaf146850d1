import CEvering
import Foundation
import XCTest
@testable import Evering

/// A queue in process memory (not shm): the queue code only needs a control block and
/// an entry array, so semantics can be tested without the region around them.
final class LocalQueue<Element: BitwiseCopyable> {
    let block: UnsafeMutablePointer<ev_queue>
    let entries: UnsafeMutableRawPointer

    init(capacity: UInt32, startingAt start: UInt64 = 0) {
        block = .allocate(capacity: 1)
        block.initialize(to: ev_queue())
        block.pointee.capacity = capacity
        block.pointee.mask = capacity - 1
        block.pointee.entry_size = UInt32(MemoryLayout<Element>.stride)
        block.pointee.head = start
        block.pointee.tail = start
        entries = .allocate(byteCount: Int(capacity) * MemoryLayout<Element>.stride, alignment: 64)
    }

    deinit {
        block.deallocate()
        entries.deallocate()
    }

    func producer() -> QueueProducer<Element> { QueueProducer(block: block, entries: entries, capacity: block.pointee.capacity, owner: self, peer: nil) }
    func consumer() -> QueueConsumer<Element> { QueueConsumer(block: block, entries: entries, capacity: block.pointee.capacity, owner: self, peer: nil) }
}

final class QueueTests: XCTestCase {
    func testFullAndEmpty() {
        let queue = LocalQueue<UInt64>(capacity: 4)
        let producer = queue.producer(), consumer = queue.consumer()
        XCTAssertNil(consumer.tryReceive())
        for i in 0..<4 { XCTAssertTrue(producer.trySend(UInt64(i))) }
        XCTAssertFalse(producer.trySend(99), "a full queue refuses")
        XCTAssertFalse(producer.trySend(99))
        XCTAssertEqual(queue.block.pointee.full_stalls, 1, "one full episode, counted once")
        XCTAssertEqual(consumer.tryReceive(), 0)
        XCTAssertTrue(producer.trySend(4))
        XCTAssertFalse(producer.trySend(5), "full again after the tail moved")
        XCTAssertEqual(queue.block.pointee.full_stalls, 2, "a new episode")
        XCTAssertEqual((1...4).map { _ in consumer.tryReceive() }, [1, 2, 3, 4])
        XCTAssertNil(consumer.tryReceive())
        XCTAssertEqual(queue.block.pointee.head, 5)
        XCTAssertEqual(queue.block.pointee.tail, 5)
    }

    /// The queue ends index with the capacity they were given (the validated layout's),
    /// not whatever the shared block says later: a peer that rewrites it cannot steer
    /// writes past the entry array.
    func testCapacityComesFromTheCallerNotTheSharedBlock() {
        let queue = LocalQueue<UInt64>(capacity: 4)
        queue.block.pointee.capacity = 1 << 20  // rewritten between validation and attach
        queue.block.pointee.mask = (1 << 20) - 1
        let producer = QueueProducer<UInt64>(block: queue.block, entries: queue.entries, capacity: 4, owner: queue, peer: nil)
        for i in 0..<4 { XCTAssertTrue(producer.trySend(UInt64(i))) }
        XCTAssertFalse(producer.trySend(99), "still full at the validated capacity of 4")
    }

    func testBulkSendAndReceiveArePartialWhenSpaceIsShort() {
        let queue = LocalQueue<UInt64>(capacity: 8)
        let producer = queue.producer(), consumer = queue.consumer()
        let items: [UInt64] = Array(0..<12)
        let sent = items.withUnsafeBufferPointer { producer.trySend(contentsOf: $0) }
        XCTAssertEqual(sent, 8)
        var out = [UInt64](repeating: 0, count: 5)
        XCTAssertEqual(out.withUnsafeMutableBufferPointer { consumer.tryReceive(into: $0) }, 5)
        XCTAssertEqual(out, [0, 1, 2, 3, 4])
        let more = items[8...].withUnsafeBufferPointer { producer.trySend(contentsOf: $0) }
        XCTAssertEqual(more, 4)
        var rest = [UInt64](repeating: 0, count: 10)
        XCTAssertEqual(rest.withUnsafeMutableBufferPointer { consumer.tryReceive(into: $0) }, 7)
        XCTAssertEqual(Array(rest[..<7]), [5, 6, 7, 8, 9, 10, 11])
    }

    /// Free-running 64-bit indices wrap through 2^64; the mask keeps array positions right.
    func testWraparoundNearTwoToTheSixtyFour() {
        for capacity: UInt32 in [2, 8, 1024] {
            let start = UInt64.max - UInt64(capacity) - 3
            let queue = LocalQueue<UInt64>(capacity: capacity, startingAt: start)
            let producer = queue.producer(), consumer = queue.consumer()
            var next: UInt64 = 0, expected: UInt64 = 0
            for round in 0..<(Int(capacity) * 4) {
                while producer.trySend(next) { next += 1 }
                XCTAssertEqual(queue.block.pointee.tail &- queue.block.pointee.head, UInt64(capacity), "round \(round)")
                let take = round % Int(capacity) + 1
                for _ in 0..<take {
                    XCTAssertEqual(consumer.tryReceive(), expected)
                    expected += 1
                }
            }
            while let value = consumer.tryReceive() { XCTAssertEqual(value, expected); expected += 1 }
            XCTAssertEqual(expected, next)
            XCTAssertLessThan(queue.block.pointee.tail, start, "the tail wrapped past 2^64")
        }
    }

    func testBlockingReceiveTimesOut() {
        let queue = LocalQueue<UInt64>(capacity: 4)
        let consumer = queue.consumer()
        XCTAssertThrowsError(try consumer.receive(timeout: .milliseconds(20))) { error in
            XCTAssertEqual(error as? RingError, .timedOut)
        }
        let producer = queue.producer()
        for i in 0..<4 { XCTAssertTrue(producer.trySend(UInt64(i))) }
        XCTAssertThrowsError(try producer.send(9, timeout: .milliseconds(20))) { error in
            XCTAssertEqual(error as? RingError, .timedOut)
        }
    }

    /// A timeout too long for Int64 nanoseconds means "no deadline"; it used to trap on
    /// the multiplication.
    func testHugeTimeoutIsNoDeadlineNotATrap() throws {
        var waiter = BlockingWaiter(timeout: .seconds(Int64.max), peer: nil)
        for _ in 0..<200 { try waiter.pause() }  // past the spin phase, so the deadline is consulted
    }

    /// Two threads, millions of entries, each carrying its sequence number and a
    /// checksum: no loss, no duplicate, in order, nothing torn.
    func testCrossThreadStressKeepsOrderAndContent() throws {
        struct Item: BitwiseCopyable, Equatable { var sequence: UInt64; var check: UInt64 }
        let queue = LocalQueue<Item>(capacity: 256)
        let producer = queue.producer(), consumer = queue.consumer()
        let total: UInt64 = 4_000_000
        let producerThread = Thread {
            var batch = [Item](repeating: Item(sequence: 0, check: 0), count: 16)
            var next: UInt64 = 0
            while next < total {
                if next % 3 == 0 {
                    try! producer.send(Item(sequence: next, check: EchoMessage.checksum(next)), timeout: .seconds(120))
                    next += 1
                } else {
                    let n = Int(min(16, total - next))
                    for i in 0..<n { batch[i] = Item(sequence: next + UInt64(i), check: EchoMessage.checksum(next + UInt64(i))) }
                    try! batch.withUnsafeBufferPointer { try producer.send(contentsOf: UnsafeBufferPointer(rebasing: $0[..<n]), timeout: .seconds(120)) }
                    next += UInt64(n)
                }
            }
        }
        producerThread.start()
        var expected: UInt64 = 0, bad = 0
        var buffer = [Item](repeating: Item(sequence: 0, check: 0), count: 32)
        while expected < total {
            let n = try buffer.withUnsafeMutableBufferPointer { try consumer.receive(into: $0, timeout: .seconds(120)) }
            for item in buffer[..<n] {
                if item.sequence != expected || item.check != EchoMessage.checksum(expected) { bad += 1 }
                expected += 1
            }
        }
        XCTAssertEqual(bad, 0)
        XCTAssertEqual(expected, total)
        XCTAssertNil(consumer.tryReceive(), "nothing beyond what was sent")
        XCTAssertEqual(queue.block.pointee.tail, total)
    }
}
