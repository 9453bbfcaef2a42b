package org.safethread;

/**
 * The "plugin" of {@link RuntimeThreadContextTest}: {@link RuntimeThreadContextMain} loads this one
 * class in a throwaway class loader, so that its protection domain and loader are on the stack
 * (and the loader is the context loader) when the runtime starts its threads.
 */
public final class ContextPlugin {
    private ContextPlugin() {
    }

    /** The plugin's first calls into safethread. */
    public static void run() throws Exception {
        ContextParts.startEveryRuntimeThread();
    }
}
