import JPKIClient
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// The running staff page server's control socket (in the user's private directory, mode
/// 0600): each connection from the page's user or root gets the path of a new session's
/// launcher file, then is closed. This is how `jpkictl ui --open`, run again, opens a new
/// session without any secret in a URL or argv.
enum StaffUIControl {
    static func bind(_ path: String, user: StaffUIUser, box: ServerBox) throws -> any Channel {
        let oldMask = umask(0o177)
        defer { umask(oldMask) }
        let channel = try ServerBootstrap(group: UnixHTTPClient.sharedEventLoopGroup)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(box: box))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
        if geteuid() == 0, user.uid != 0 { chown(path, user.uid, user.gid) }
        return channel
    }

    /// `struct ucred` (Swift's Glibc does not import it).
    struct Credentials {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let box: ServerBox

        init(box: ServerBox) { self.box = box }

        func channelActive(context: ChannelHandlerContext) {
            context.fireChannelActive()
            let channel = context.channel
            guard let provider = channel as? SocketOptionProvider, let server = box.server else {
                return channel.close(promise: nil) as Void
            }
            let credentials: EventLoopFuture<Credentials> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
            credentials.whenComplete { result in
                guard case .success(let peer) = result, server.serves(peer.uid) else {
                    server.refuseStranger((try? result.get())?.uid)
                    return channel.close(promise: nil)
                }
                let answer: String
                do {
                    answer = try server.newLaunch() + "\n"
                } catch {
                    answer = "error: \(error)\n"
                }
                channel.writeAndFlush(ByteBuffer(string: answer)).whenComplete { _ in channel.close(promise: nil) }
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }
}
