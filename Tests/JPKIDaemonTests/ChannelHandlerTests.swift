import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import JPKIDaemon

/// The connection's channel handlers on NIO's `EmbeddedChannel`, as swift-nio tests its own:
/// no socket, and time advanced by hand, so the timeouts are tested without waiting for them.
@Suite("Channel handlers on EmbeddedChannel")
struct ChannelHandlerTests {
    func channel(header: Duration = .seconds(10), idle: Duration = .seconds(60)) throws -> (
        EmbeddedChannel, ConnectionGuard
    ) {
        let watch = ConnectionGuard(headerTimeout: header, idleTimeout: idle)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(watch)
        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
        try channel.pipeline.syncOperations.addHandler(ArrivalHandler(watch))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, watch)
    }

    @Test func aRequestThatDoesNotArriveInTimeClosesTheConnection() throws {
        let (channel, _) = try channel()
        try channel.writeInbound(ByteBuffer(string: "GET /v1/readers HTTP/1.1\r\nHost: x\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive, "closed before the header timeout")
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "a request dribbling in for longer than 10 s must be cut")
    }

    @Test func anIdleConnectionClosesAfterTheIdleTimeoutAndNotBefore() throws {
        let (channel, _) = try channel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func aRequestBeingHandledIsNotTimedOutAndTheIdleTimerStartsAfterTheAnswer() throws {
        let (channel, watch) = try channel()
        try channel.writeInbound(ByteBuffer(string: "GET /v1/readers HTTP/1.1\r\nHost: x\r\n\r\n"))
        guard case .head(let head) = try channel.readInbound(as: HTTPServerRequestPart.self) else {
            Issue.record("no request head")
            return
        }
        #expect(head.uri == "/v1/readers")
        // The header timer stopped as NIO decoded the request's end, before any task took the
        // request. A slow card: the handler takes minutes. Neither timer may cut it.
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        #expect(channel.isActive)
        watch.responseSent()
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func theIdleTimeoutCountsFromTheLastAnswerNotFromTheFirstIdleMoment() throws {
        // The guard's one timer was set for 60 s after the connection opened; an answer at 30 s
        // moves the end of idleness to 90 s, which the timer finds when it fires at 60 s.
        let (channel, watch) = try channel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        try channel.writeInbound(ByteBuffer(string: "GET /v1/readers HTTP/1.1\r\nHost: x\r\n\r\n"))
        watch.responseSent()
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive, "89 s: idle for 59 s only")
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "91 s: idle for 61 s")
    }

    @Test func aRequestStartedLateInAnIdlePeriodGetsItsWholeHeaderTimeout() throws {
        let (channel, _) = try channel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(55))
        try channel.writeInbound(ByteBuffer(string: "GET /v1/readers HTTP/1.1\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive, "64 s: the header began 9 s ago (and the idle timer's 60 s passed)")
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "66 s: the header took over 10 s")
    }

    @Test func aSecondRequestArrivingBeforeTheFirstAnswerIsAccountedIsNotTimedOutOrCutAtShutdown() throws {
        let (channel, watch) = try channel()
        try channel.writeInbound(ByteBuffer(string: "GET /v1/readers HTTP/1.1\r\nHost: x\r\n\r\n"))
        // The next request is in (the event loop saw it) before the task reports the first answer.
        watch.requestReceived()
        watch.responseSent()
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        #expect(channel.isActive, "the second request is still being handled: no idle timer")
        watch.shutDown(grace: .seconds(5))
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive, "a running request gets its grace at shutdown")
        watch.responseSent()
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive, "closed once its answer is out")
    }

    @Test func shutdownClosesAnIdleConnectionAtOnceAndGivesARunningRequestItsGrace() throws {
        let (idle, idleWatch) = try channel()
        idleWatch.shutDown(grace: .seconds(5))
        idle.embeddedEventLoop.run()
        #expect(!idle.isActive)

        let (busy, busyWatch) = try channel()
        try busy.writeInbound(ByteBuffer(string: "POST /v1/sign HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n\r\n"))
        busyWatch.shutDown(grace: .seconds(5))
        busy.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(busy.isActive, "a running request gets its grace")
        busy.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!busy.isActive)
    }

    @Test func aConnectionOverTheCapGetsA503AsBytesAndIsClosed() throws {
        let channel = EmbeddedChannel(handler: RefusingHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        // Whatever the client sends, even no HTTP at all.
        try channel.writeInbound(ByteBuffer(string: "\u{1}\u{2}garbage"))
        var answer = ""
        while let part = try channel.readOutbound(as: ByteBuffer.self) { answer += String(buffer: part) }
        #expect(answer.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(answer.contains(#""code":"too_many_connections""#))
        let length = answer.split(separator: "\r\n").first { $0.hasPrefix("content-length: ") }
        let body = answer.components(separatedBy: "\r\n\r\n").last ?? ""
        #expect(length.map { Int($0.dropFirst(16)) } == body.utf8.count)
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    @Test func theConnectionTableCapsTotalAndPerUserAndReleases() {
        let table = ConnectionTable(limit: 3, perUser: 2)
        #expect(table.admit(10, isOperator: false) == nil && table.admit(10, isOperator: false) == nil)
        #expect(table.admit(10, isOperator: true) == .userCap, "a third connection of one user")
        #expect(table.admit(11, isOperator: false) == nil)
        #expect(table.admit(12, isOperator: true) == .tableFull)
        table.release(10)
        #expect(table.admit(12, isOperator: false) == nil)
        #expect(table.open == 3)
    }

    @Test func reservedSlotsAreOnlyForOperatorsAndEventStreamsHaveAPerUserCap() {
        let table = ConnectionTable(limit: 6, perUser: 3, operatorReserved: 2, streamsPerUser: 2)
        for uid: UInt32 in [100, 100, 100, 101] { #expect(table.admit(uid, isOperator: false) == nil) }
        #expect(table.admit(102, isOperator: false) == .reservedForOperators)
        #expect(table.admit(200, isOperator: true) == nil)
        #expect(table.admit(0, isOperator: true) == nil)
        #expect(table.admit(201, isOperator: true) == .tableFull)
        #expect(table.admitStream(100) && table.admitStream(100))
        #expect(!table.admitStream(100))
        #expect(table.admitStream(101))
        table.releaseStream(100)
        #expect(table.admitStream(100))
    }

    @Test func refusalsAreLoggedAtMostOnceASecondPerUserAndReason() {
        let log = RefusalLog()
        let start = ContinuousClock.now
        #expect(log.shouldLog(uid: 7, reason: .userCap, now: start) == 0)
        #expect(log.shouldLog(uid: 7, reason: .userCap, now: start + .milliseconds(10)) == nil)
        #expect(log.shouldLog(uid: 7, reason: .userCap, now: start + .milliseconds(20)) == nil)
        #expect(log.shouldLog(uid: 8, reason: .userCap, now: start + .milliseconds(20)) == 0)
        #expect(log.shouldLog(uid: 7, reason: .eventStreams, now: start + .milliseconds(20)) == 0)
        #expect(log.shouldLog(uid: 7, reason: .userCap, now: start + .seconds(1)) == 2)
    }
}

/// What jpkid's `APIConnectionHandler` does first with a whole request: tells the guard it is in.
private final class ArrivalHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let watch: ConnectionGuard

    init(_ watch: ConnectionGuard) { self.watch = watch }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) { watch.requestReceived() }
        context.fireChannelRead(data)
    }
}
