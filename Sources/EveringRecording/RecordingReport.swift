import EveringInspect
import Foundation

extension RecordingReader {
    /// The report for frame `index` as `dump` prints it and the replay screen shows it:
    /// the rebuilt snapshot, rates against the frame before, and the findings the recorder
    /// diagnosed at that sample (with the full history it had then).
    public func report(at index: Int) -> InspectReport {
        let frame = frame(at: index)
        var rates: Rates?
        if index > 0, frames[index - 1].epoch == frames[index].epoch {
            var sampler = Sampler(historyCapacity: 2)
            sampler.record(frames[index - 1].frame.snapshot)
            rates = sampler.record(frame.snapshot).rates
        }
        return InspectReport(snapshot: frame.snapshot, rates: rates, findings: frame.findings,
                             thresholds: Thresholds(stallTimeout: header.stallTimeoutSeconds))
    }
}

/// How recordings name times for people.
public enum RecordingText {
    /// `2026-11-26 10:51:03.123 UTC` for a CLOCK_REALTIME ns value.
    public static func wallClock(_ realtimeNanoseconds: UInt64) -> String {
        var seconds = time_t(realtimeNanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int(realtimeNanoseconds % 1_000_000_000 / 1_000_000)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%03d UTC", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }

    /// `+12.340s`: seconds into the recording.
    public static func offset(_ seconds: Double) -> String { String(format: "%+.3fs", seconds) }
}
