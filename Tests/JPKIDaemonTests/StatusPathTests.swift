import Foundation
import JPKIAPI
import JapaneseCalendar
import Testing

@testable import JPKIDaemon

/// The cheap status path: reader views encoded once per change, access decided once per connection.
@Suite("Status path")
struct StatusPathTests {
    func view(_ id: String, _ state: ReaderState) -> ReaderView {
        ReaderView(id: id, name: "Reader \(id)", state: state, card: nil, error: nil)
    }

    let noon = Date(timeIntervalSince1970: 1_800_000_000)
    /// Stand-ins for the sessions that post views.
    let ownerA = NSObject()
    let ownerB = NSObject()
    var sessionA: ObjectIdentifier { ObjectIdentifier(ownerA) }
    var sessionB: ObjectIdentifier { ObjectIdentifier(ownerB) }

    @Test func theListIsEncodedOncePerChangeInReaderOrder() throws {
        let board = ReaderViewBoard()
        board.add(view("r2", .empty), from: sessionA, madeAt: noon)
        board.add(view("r1", .empty), from: sessionB, madeAt: noon)
        let first = board.listBody()
        let list = try APIJSON.decoder().decode(ReaderList.self, from: Data(first))
        #expect(list.readers.map(\.id) == ["r2", "r1"], "readers stay in the order they were added")
        #expect(
            board.listBody().withUnsafeBufferPointer { $0.baseAddress }
                == first.withUnsafeBufferPointer { $0.baseAddress }, "an unchanged board serves the same bytes")

        board.update(view("r1", .reading), from: sessionB, madeAt: noon)
        let changed = try APIJSON.decoder().decode(ReaderList.self, from: Data(board.listBody()))
        #expect(changed.readers.map(\.state) == [.empty, .reading])

        board.remove(id: "r2")
        board.update(view("r2", .ready), from: sessionA, madeAt: noon)
        let removed = try APIJSON.decoder().decode(ReaderList.self, from: Data(board.listBody()))
        #expect(removed.readers.map(\.id) == ["r1"], "a removed reader's late view does not come back")
    }

    @Test func aRemovedSessionsLatePostDoesNotOverwriteItsSuccessor() throws {
        let board = ReaderViewBoard()
        board.add(view("r1", .ready), from: sessionA, madeAt: noon)
        board.remove(id: "r1")
        // The reader is plugged in again: same id, a new session.
        board.add(view("r1", .empty), from: sessionB, madeAt: noon)
        board.update(view("r1", .error), from: sessionA, madeAt: noon)
        let list = try APIJSON.decoder().decode(ReaderList.self, from: Data(board.listBody()))
        #expect(list.readers.map(\.state) == [.empty])
    }

    @Test func viewsGoStaleWhenTheDayTurnsInJapan() {
        let board = ReaderViewBoard()
        #expect(board.isCurrent(at: noon), "an empty board is current")
        // 2027-01-15 14:59:59 UTC is 23:59:59 in Japan; a second later it is the next day there.
        let beforeMidnight = Date(timeIntervalSince1970: 1_800_025_199)
        let japanDay = JapanDate.dayNumber(beforeMidnight)
        #expect(JapanDate.dayNumber(beforeMidnight.addingTimeInterval(1)) == japanDay + 1)
        board.add(view("r1", .ready), from: sessionA, madeAt: beforeMidnight)
        board.add(view("r2", .empty), from: sessionB, madeAt: beforeMidnight)
        #expect(board.isCurrent(at: beforeMidnight))
        #expect(!board.isCurrent(at: beforeMidnight.addingTimeInterval(1)))
        let after = beforeMidnight.addingTimeInterval(1)
        board.update(view("r1", .ready), from: sessionA, madeAt: after)
        #expect(!board.isCurrent(at: after), "one reader's view is still of the old day")
        board.update(view("r2", .empty), from: sessionB, madeAt: after)
        #expect(board.isCurrent(at: after), "every view made on the new day: current again, with two readers")
    }

    @Test func accessIsDecidedOncePerConnectionAndAgainAfterAReload() {
        // gid 4242 is the peer's own primary group: no NSS needed to decide.
        let peer = PeerCredentials(pid: 1, uid: 1000, gid: 4242, groups: [])
        let store = PolicyStore(AccessPolicy(statusGroup: "4242", operatorGroup: "4343"))
        let access = ConnectionAccess(peer: peer)
        #expect(access.allows(.status, under: store))
        #expect(!access.allows(.operate, under: store))
        store.replace(with: AccessPolicy(statusGroup: "4343", operatorGroup: "4242"))
        #expect(access.allows(.operate, under: store), "a reload is seen by the next request")
        store.replace(with: AccessPolicy(statusGroup: "4343", operatorGroup: "4343"))
        #expect(!access.allows(.status, under: store))
        #expect(!access.allows(.operate, under: store))
    }
}
