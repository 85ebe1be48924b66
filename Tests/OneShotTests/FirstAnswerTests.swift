import OneShot
import Testing

struct FirstAnswerTests {
    struct Late: Error, Equatable {}

    @Test func theFirstAnswerResumesAndLaterOnesAreRefused() async throws {
        var wins: [Bool] = []
        let value = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            let answer = FirstAnswer(continuation)
            wins.append(answer.give(1))
            wins.append(answer.give(.failure(Late())))
            wins.append(answer.give(2))
        }
        #expect(value == 1)
        #expect(wins == [true, false, false])
    }

    @Test func aFailureGivenFirstWins() async {
        await #expect(throws: Late.self) {
            _ = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
                let answer = FirstAnswer(continuation)
                answer.give(.failure(Late()))
                answer.give(3)
            }
        }
    }

    @Test func racingAnswersResumeExactlyOnce() async {
        // Many racers: a double resume would trap (CheckedContinuation), none would hang.
        for _ in 0..<50 {
            let winners = await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
                let answer = FirstAnswer(continuation)
                for racer in 0..<8 {
                    Task.detached { answer.give(racer) }
                }
            }
            #expect((0..<8).contains(winners))
        }
    }
}
