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

    @Test
    void runtimeSettersRefuseNonsense() {
        assertThatThrownBy(() -> Settings.setStallTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Settings.setDeadlockDelay(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Settings.setCollectorThreshold(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
