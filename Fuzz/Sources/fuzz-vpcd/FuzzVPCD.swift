import CardSimulator
import Dispatch
import Foundation
import FuzzSupport
import ISO7816

#if canImport(Glibc)
    import Glibc
#endif

/// The vpcd link of the simulator (`VPCDLink.serve`, the loop `jpki-sim --vpcd` runs): the input
/// is what pcscd's vpcd driver would send, given over a socketpair and then closed.
///
/// Invariants: the link never traps or hangs; it answers exactly the complete frames of the input
/// (a 1-byte control frame `04` with the ATR, other control frames with nothing, every other
/// frame, even an empty one, with one response of at least the two status bytes), each framed
/// with its length, and ends when the input does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVPCD(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let card = LinkFixture.card()

    var fds: [Int32] = [0, 0]
    require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0, "socketpair")
    let (driver, linkEnd) = (fds[0], fds[1])
    // The driver's side: send everything, then read the answers until the link closes.
    let answers = Answers()
    let reader = DispatchSemaphore(value: 0)
    Thread.detachNewThread(driver: driver, input: input, answers: answers, done: reader)

    card.insert()
    let link = VPCDLink(card: card, host: "127.0.0.1", port: 1, reinsertAfter: nil)
    let reason = link.serve(linkEnd)
    close(linkEnd)
    reader.wait()
    close(driver)

    require(reason == .peerClosed, "the link ended with '\(reason.rawValue)'")
    let expected = expectedAnswers(input, atr: card.atr)
    let frames = answers.frames()
    require(frames != nil, "the answers are not a sequence of whole frames")
    require(frames!.count == expected.count, "\(frames!.count) answers for \(expected.count) frames")
    for (frame, atr) in zip(frames!, expected) {
        if let atr {
            require(frame == atr, "get-ATR answered with something else")
        } else {
            require(frame.count >= 2, "an APDU answered with \(frame.count) byte(s)")
        }
    }
    LinkFixture.restoreIfChanged()
    return 0
}

/// For each complete frame that gets an answer: the ATR for get-ATR, nil for an APDU response.
private func expectedAnswers(_ input: [UInt8], atr: [UInt8]) -> [[UInt8]?] {
    var answers: [[UInt8]?] = []
    var offset = 0
    while offset + 2 <= input.count {
        let length = Int(input[offset]) << 8 | Int(input[offset + 1])
        guard offset + 2 + length <= input.count else { break }
        if length == 1 {
            if input[offset + 2] == 4 { answers.append(atr) }
        } else {
            answers.append(nil)
        }
        offset += 2 + length
    }
    return answers
}

/// What came back on the driver's side.
final class Answers: @unchecked Sendable {
    // Written by the driver thread only, read after it signalled.
    var bytes: [UInt8] = []

    /// The length-prefixed frames, or nil when the bytes do not split into whole frames.
    func frames() -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count {
            guard offset + 2 <= bytes.count else { return nil }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            guard offset + 2 + length <= bytes.count else { return nil }
            frames.append(Array(bytes[(offset + 2)..<(offset + 2 + length)]))
            offset += 2 + length
        }
        return frames
    }
}

extension Thread {
    /// Writes `input` and half-closes, then collects everything until end of file.
    static func detachNewThread(driver: Int32, input: [UInt8], answers: Answers, done: DispatchSemaphore) {
        let thread = Thread {
            var sent = 0
            while sent < input.count {
                let n = input.withUnsafeBytes {
                    send(driver, $0.baseAddress! + sent, input.count - sent, Int32(MSG_NOSIGNAL))
                }
                guard n > 0 else { break }
                sent += n
            }
            shutdown(driver, Int32(SHUT_WR))
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(driver, $0.baseAddress!, $0.count, 0) }
                guard n > 0 else { break }
                answers.bytes += buffer[0..<n]
            }
            done.signal()
        }
        thread.start()
    }
}

/// The default simulated card, built once; a copy replaces it when an input changed it (a wrong
/// PIN spends a try), so every input meets the same card.
enum LinkFixture {
    nonisolated(unsafe) private static var image: CardImage?
    nonisolated(unsafe) private static var current: SimulatedCard?

    static func card() -> SimulatedCard {
        if let current { return current }
        do {
            let built = try CardBuilder.build(Scenario())
            image = built
            current = try SimulatedCard(image: built)
        } catch {
            fatalError("the simulated card could not be built: \(error)")
        }
        return current!
    }

    static func restoreIfChanged() {
        guard let image, let card = current else { return }
        card.clearTrace()
        guard card.image != image else { return }
        do {
            current = try SimulatedCard(image: image)
        } catch {
            fatalError("the simulated card could not be rebuilt: \(error)")
        }
    }
}

@main
enum VPCDFuzzer {
    static func main() {
        // Built before libFuzzer starts, so its one-time allocations are not taken for leaks.
        _ = LinkFixture.card()
        runFuzzer(fuzzVPCD)
    }
}
