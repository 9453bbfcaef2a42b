package org.safethread.stress.monitor;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;
import org.safethread.UnshareableException;

/**
 * Protocol: a monitor's lock learns its proxy ({@code ProxySupport.bind}) before the proxy's final
 * {@code $lock} field is set, so any thread that enters the monitor through a racily published
 * proxy sees the binding, and a monitor method passing {@code this} on passes the monitor.
 *
 * <p>Actor 1 publishes a fresh monitor through a plain field (no happens-before edge). Actor 2, if
 * it sees it, calls a monitor method that hands {@code this} to another monitor's method, and
 * checks what that monitor received.
 * <ul>
 *   <li>{@code -1}: actor 2 did not see the monitor yet (ACCEPTABLE).</li>
 *   <li>{@code 1}: the other monitor received the monitor itself (ACCEPTABLE).</li>
 *   <li>{@code 0}: it received something else, or {@code 2}: the call was refused because the
 *       lock's binding to its proxy was not visible (FORBIDDEN).</li>
 * </ul>
 */
@JCStressTest
@Outcome(id = "-1", expect = ACCEPTABLE, desc = "not published yet")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "this was handed out as the monitor")
@Outcome(expect = FORBIDDEN, desc = "this was not replaced by its monitor (binding invisible)")
@State
public class MonitorSelfPublicationTest {

    /** Hands its own target to another monitor. */
    public static class Node {
        private int calls;

        @MonitorMethod
        public void registerIn(Registry r) {
            calls++;
            r.register(this);
        }
    }

    /** Keeps what it was given. */
    public static class Registry {
        private Object last;

        @MonitorMethod
        public void register(Object o) {
            last = o;
        }

        @MonitorMethod
        public Object last() {
            return last;
        }
    }

    final Registry registry = Monitor.of(new Registry());
    Node published; // plain on purpose: a racy publication

    @Actor
    public void publisher() {
        published = Monitor.of(new Node());
    }

    @Actor
    public void user(I_Result r) {
        Node n = published;
        if (n == null) {
            r.r1 = -1;
            return;
        }
        try {
            n.registerIn(registry);
            r.r1 = registry.last() == n ? 1 : 0;
        } catch (UnshareableException e) {
            r.r1 = 2;
        }
    }
}
