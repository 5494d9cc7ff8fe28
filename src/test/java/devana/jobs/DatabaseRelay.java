package devana.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on loopback in front of a database server the tests do not own (the local PostgreSQL): the
 * app is pointed at the relay, and the test takes the database away as ReliabilityTest stops its H2 TCP
 * server. {@link #stop()} closes the port and every connection (an outage: connections reset, new ones
 * refused); {@link #freeze()} keeps accepting but passes no byte either way (a database that hangs: the
 * client's connect succeeds, then nothing answers); {@link #start()} and {@link #thaw()} undo them, on the
 * same port.
 */
final class DatabaseRelay implements AutoCloseable {

    private final String targetHost;
    private final int targetPort;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private volatile boolean frozen;
    private volatile ServerSocket listener;
    private int port;

    DatabaseRelay(String targetHost, int targetPort) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        start();
    }

    int port() {
        return port;
    }

    /** Listens again (on the port it had, if it had one) and relays new connections. */
    synchronized void start() {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            port = socket.getLocalPort();
            listener = socket;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ServerSocket accepting = listener;
        Thread thread = new Thread(() -> accept(accepting), "database-relay-accept");
        thread.setDaemon(true);
        thread.start();
    }

    /** The database is gone: the port closed, every relayed connection closed. */
    synchronized void stop() {
        closeQuietly(listener);
        listener = null;
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
        sockets.clear();
    }

    /** The database hangs: connections are still accepted, but nothing is passed on either way until {@link #thaw()}. */
    void freeze() {
        frozen = true;
    }

    void thaw() {
        synchronized (gate) {
            frozen = false;
            gate.notifyAll();
        }
    }

    @Override
    public void close() {
        thaw();
        stop();
    }

    private void accept(ServerSocket accepting) {
        while (!accepting.isClosed()) {
            try {
                Socket client = accepting.accept();
                sockets.add(client);
                Socket server = new Socket();
                sockets.add(server);
                server.connect(new InetSocketAddress(targetHost, targetPort), 5000);
                pump(client, server, "database-relay-up");
                pump(server, client, "database-relay-down");
            } catch (IOException e) {
                // the relay was stopped, or the database refused: the client sees its connection closed
            }
        }
    }

    private void pump(Socket from, Socket to, String name) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    waitWhileFrozen();
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // one side closed: so is the other
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    private void waitWhileFrozen() throws InterruptedException {
        synchronized (gate) {
            while (frozen) {
                gate.wait();
            }
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            // closing what is already gone
        }
    }
}
