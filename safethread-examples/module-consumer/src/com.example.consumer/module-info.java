/**
 * A user of safethread on the module path: what a module must declare. The library reads and
 * generates code for user classes reflectively, so each package is opened to it that holds
 * monitor classes, {@code RefCounted} classes (with {@code Ref} fields or a finalizer core) and
 * their cores, or lambdas that cross between threads (a {@code Branch} task, a value passed
 * through a monitor's wall: their captured values are checked for shareability). A package of
 * plain code that only calls the API needs nothing.
 */
module com.example.consumer {
    requires org.safethread;

    opens com.example.consumer to org.safethread; // Main's lambdas: Branch tasks
    opens com.example.consumer.monitors to org.safethread;
    opens com.example.consumer.resources to org.safethread;
}
