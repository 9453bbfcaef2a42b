package com.example.consumer.monitors;

import org.safethread.MonitorMethod;

/** A monitor class: package-private state, guarded by safethread's generated proxy. */
public class Tally {
    private long count;

    @MonitorMethod
    public void add(long n) {
        count += n;
    }

    @MonitorMethod
    public long count() {
        return count;
    }
}
