package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Death clears Ref fields iteratively: a chain of a million objects dies without StackOverflowError. */
@Timeout(120)
class RefChainTest {
    static final class Link extends RefCounted {
        final Ref<Link> next = new Ref<>();
    }

    @Test
    void aMillionObjectChainDiesInOneDecref() {
        int n = 1_000_000;
        Link head = new Link();
        Link cur = head;
        Link tail = null;
        for (int i = 1; i < n; i++) {
            Link l = new Link();
            cur.next.set(l);
            l.decref();
            cur = l;
        }
        tail = cur;
        tail.incref(); // keep the tail observable
        long diedBefore = SafeThread.stats().objectsDied();
        head.decref();
        assertThat(head.isAlive()).isFalse();
        assertThat(tail.isAlive()).isTrue();
        assertThat(tail.refCount()).isEqualTo(1);
        assertThat(SafeThread.stats().objectsDied() - diedBefore).isGreaterThanOrEqualTo(n - 1);
        tail.decref();
        assertThat(tail.isAlive()).isFalse();
    }

    @Test
    void aMillionObjectChainReleasedByAnotherThreadDiesToo() throws Exception {
        int n = 1_000_000;
        Link head = new Link();
        Link cur = head;
        for (int i = 1; i < n; i++) {
            Link l = new Link();
            cur.next.set(l);
            l.decref();
            cur = l;
        }
        Link last = cur;
        Thread t = new Thread(head::decref);
        t.start();
        t.join();
        SafeThread.poll();
        assertThat(head.isAlive()).isFalse();
        assertThat(last.isAlive()).isFalse();
    }
}
