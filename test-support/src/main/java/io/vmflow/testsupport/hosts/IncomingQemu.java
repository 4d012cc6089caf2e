package io.vmflow.testsupport.hosts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * Stands in for a destination host's own hypervisor management in the unmanaged direct flow: a QEMU
 * started outside libvirt, inside the host's namespaces, waiting for an incoming migration on a TCP
 * port. Its command line is the one the host's libvirt would use for the guest (domxml-to-native),
 * minus what only libvirt has (its monitor socket, its secret), plus {@code -incoming}.
 */
public final class IncomingQemu implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final String pid;
    private final int port;

    private IncomingQemu(Process process, Path log, String pid, int port) {
        this.process = process;
        this.log = log;
        this.pid = pid;
        this.port = port;
    }

    /**
     * Whether QEMU listens yet, asked of the host's network namespace without connecting (QEMU takes
     * exactly one incoming connection: a probe would use it up).
     */
    public boolean listening() throws IOException, InterruptedException {
        Process ss = new ProcessBuilder("nsenter", "-t", pid, "-n", "ss", "-Hltn", "sport = :" + port)
                .redirectErrorStream(true)
                .start();
        String out = new String(ss.getInputStream().readAllBytes());
        ss.waitFor();
        return out.contains("LISTEN");
    }

    public static IncomingQemu start(TestHost host, String guestXml, int port) throws LibvirtException, IOException {
        Connect c = new Connect(host.adminUri());
        String native_;
        try {
            native_ = c.domainXMLToNative("qemu-argv", guestXml, 0);
        } finally {
            c.close();
        }
        List<String> words = shellWords(native_);
        List<String> argv = new ArrayList<>();
        String pid = Files.readString(host.dir().resolve("run").resolve("libvirtd.pid"))
                .trim();
        // enter the host's network, mount and UTS namespaces (those of its libvirtd)
        argv.addAll(List.of("nsenter", "-t", pid, "-m", "-n", "-u", "--"));
        boolean command = false;
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (!command) {
                if (w.matches("[A-Z_]+=.*")) {
                    continue; // the environment libvirt would set
                }
                command = true;
            }
            if (w.equals("-S")) {
                continue; // run as soon as the incoming state has arrived
            }
            if ((w.equals("-object") && words.get(i + 1).contains("masterKey0"))
                    || (w.equals("-chardev") && words.get(i + 1).contains("charmonitor"))
                    || w.equals("-mon")) {
                i++;
                continue;
            }
            argv.add(w);
        }
        argv.addAll(List.of("-incoming", "tcp:0:" + port));
        Path log = Files.createTempFile("incoming-qemu", ".log");
        Process p = new ProcessBuilder(argv)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new IncomingQemu(p, log, pid, port);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    static List<String> shellWords(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else if (ch == '\\' && quote == '"' && i + 1 < s.length()) {
                    cur.append(s.charAt(++i));
                } else {
                    cur.append(ch);
                }
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
                inWord = true;
            } else if (ch == '\\' && i + 1 < s.length()) {
                char next = s.charAt(++i);
                if (next != '\n') {
                    cur.append(next);
                    inWord = true;
                }
            } else if (Character.isWhitespace(ch)) {
                if (inWord) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                cur.append(ch);
                inWord = true;
            }
        }
        if (inWord) {
            out.add(cur.toString());
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
