package org.safethread;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.safethread.internal.runtime.Settings;

/** Settings are parsed strictly, and refused with a message that says what is accepted. */
class SettingsTest {
    @Test
    void durationsAcceptTheDocumentedForms() throws Exception {
        var parse = Settings.class.getDeclaredMethod("parseDuration", String.class);
        parse.setAccessible(true);
        assertThat(parse.invoke(null, "250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(parse.invoke(null, "10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(parse.invoke(null, "1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(parse.invoke(null, "2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(parse.invoke(null, "PT0.5S")).isEqualTo(Duration.ofMillis(500));
        assertThat(parse.invoke(null, "1200")).isEqualTo(Duration.ofMillis(1200));
        assertThat(parse.invoke(null, "soon")).isNull();
    }

    @Test
    void aMalformedPropertyIsRefusedNamingItAndTheAcceptedForms() throws Exception {
        var duration = Settings.class.getDeclaredMethod("duration", String.class, Duration.class);
        duration.setAccessible(true);
        System.setProperty("safethread.test.duration", "soon");
        try {
            assertThatThrownBy(() -> {
                try {
                    duration.invoke(null, "safethread.test.duration", Duration.ZERO);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                }
            }).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("safethread.test.duration=soon").hasMessageContaining("250ms");
        } finally {
            System.clearProperty("safethread.test.duration");
        }
    }

    /**
     * A duration too long for the runtime's long-nanosecond deadlines (e.g. {@code P1000000D}) is
     * refused naming the property, like any malformed value, instead of failing start-up later
     * with a bare "long overflow" from {@code Duration.toNanos()} that names nothing.
     */
    @Test
    void aDurationTooLongToTimeIsRefusedNamingTheProperty() throws Exception {
        var duration = Settings.class.getDeclaredMethod("duration", String.class, Duration.class);
        duration.setAccessible(true);
        System.setProperty("safethread.test.duration", "P1000000D");
        try {
            assertThatThrownBy(() -> {
                try {
                    duration.invoke(null, "safethread.test.duration", Duration.ZERO);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                }
            }).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("safethread.test.duration=P1000000D").hasMessageContaining("too long");
            System.setProperty("safethread.test.duration", "P100000D"); // about 274 years: still timeable
            assertThat(duration.invoke(null, "safethread.test.duration", Duration.ZERO))
                    .isEqualTo(Duration.ofDays(100_000));
        } finally {
            System.clearProperty("safethread.test.duration");
        }
        assertThatThrownBy(() -> Settings.setStallTimeout(Duration.ofDays(1_000_000)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("finalizer stall timeout")
                .hasMessageContaining("at most");
        assertThatThrownBy(() -> Settings.setDeadlockDelay(Duration.ofDays(1_000_000)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deadlock delay");
    }

    @Test
    void runtimeSettersRefuseNonsense() {
        assertThatThrownBy(() -> Settings.setStallTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Settings.setDeadlockDelay(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Settings.setCollectorThreshold(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
