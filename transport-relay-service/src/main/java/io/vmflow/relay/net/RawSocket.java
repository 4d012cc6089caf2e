package io.vmflow.relay.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import java.util.function.Consumer;

/**
 * A socket read and written as Netty's own buffers: what the kernel delivered into a pooled direct
 * buffer goes on to the other socket (and through the TLS engine) as it is, never copied into Vert.x
 * Buffers on the heap and back. Whoever receives a buffer owns it (writes release it once sent).
 *
 * <p>Until its handlers are set, the socket holds what it reads (bounded: past the bound it stops
 * reading). Its end comes after its last byte: Vert.x runs a close handler as soon as the connection
 * closes, before what a paused socket still queues, so the end is held back while the socket is
 * paused and delivered once it runs again and has delivered that. All of it runs on the socket's
 * event loop.
 */
final class RawSocket {

    private static final int HOLD_BOUND = 4 << 20;
    private static final int MAX_READ = 256 << 10;
    /** Outbound bytes queued before the socket reports full (the default 64 KiB is less than one read). */
    private static final int WRITE_QUEUE = 1 << 20;

    final NetSocket socket;
    private final NetSocketInternal internal;
    private final EventLoop loop;
    private CompositeByteBuf held;
    private Consumer<ByteBuf> data;
    private Runnable end;
    private boolean paused;
    private boolean endSeen;
    private boolean endDelivered;

    RawSocket(NetSocket socket) {
        this.socket = socket;
        this.internal = (NetSocketInternal) socket;
        this.loop = internal.channelHandlerContext().channel().eventLoop();
        this.data = this::hold;
        // reads of up to 256 KiB (Netty's default stops at 64 KiB): fewer reads, TLS calls and flushes per GB;
        // and a write queue of a few reads, so that the reading side is not paused after every read
        internal.channelHandlerContext()
                .channel()
                .config()
                .setRecvByteBufAllocator(new AdaptiveRecvByteBufAllocator(4096, 65536, MAX_READ));
        socket.setWriteQueueMaxSize(WRITE_QUEUE);
        internal.messageHandler(msg -> {
            if (msg instanceof ByteBuf b && b.isReadable()) {
                data.accept(b);
            } else {
                ReferenceCountUtil.release(msg);
            }
        });
        // Vert.x 5.0.8 gives a message handler no end (NetSocketImpl drops the end sentinel for it), so the
        // end is the close: it comes after every read delivered while running; what a paused socket queued
        // is delivered when it resumes, and the end after it (see maybeEnd)
        socket.closeHandler(v -> {
            endSeen = true;
            maybeEnd();
        });
    }

    /** From now on what the socket reads (and its end) is held until {@link #handlers}; {@code first} comes first. */
    void holdFromNow(ByteBuf first) {
        data = this::hold;
        end = null;
        if (first.isReadable()) {
            hold(first);
        } else {
            first.release();
        }
    }

    /** Where the data (with what was held, first) and then the end go. */
    void handlers(Consumer<ByteBuf> onData, Runnable onEnd) {
        data = onData;
        end = onEnd;
        CompositeByteBuf h = held;
        held = null;
        if (h != null) {
            if (h.isReadable()) {
                onData.accept(h);
            } else {
                h.release();
            }
        }
        maybeEnd();
    }

    /** Drops what is held and everything read from now on (the stream failed or was refused). */
    void discard() {
        data = ReferenceCountUtil::release;
        end = null;
        if (held != null) {
            held.release();
            held = null;
        }
    }

    /** Whether the socket ended (it was held, or its handlers not yet set). */
    boolean ended() {
        return endSeen;
    }

    void pause() {
        onLoop(() -> {
            if (!paused) {
                paused = true;
                socket.pause();
            }
        });
    }

    void resume() {
        onLoop(() -> {
            if (paused) {
                paused = false;
                socket.resume(); // delivers what waited in the socket's queue, now
                maybeEnd();
            }
        });
    }

    /** Writes (and flushes) a buffer; the socket owns it from now on. */
    Future<Void> write(ByteBuf b) {
        return internal.writeMessage(b);
    }

    io.netty.buffer.ByteBufAllocator alloc() {
        return internal.channelHandlerContext().alloc();
    }

    private void hold(ByteBuf b) {
        if (held == null) {
            held = alloc().compositeDirectBuffer(Integer.MAX_VALUE);
        }
        held.addComponent(true, b);
        if (held.readableBytes() > HOLD_BOUND) {
            pause();
        }
    }

    private void maybeEnd() {
        if (endSeen && !paused && !endDelivered && end != null) {
            endDelivered = true;
            end.run();
        }
    }

    private void onLoop(Runnable r) {
        if (loop.inEventLoop()) {
            r.run();
        } else {
            loop.execute(r);
        }
    }
}
