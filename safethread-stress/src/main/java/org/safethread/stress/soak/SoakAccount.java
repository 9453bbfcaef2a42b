package org.safethread.stress.soak;

import java.time.Duration;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * A bank account for the soak, used only through {@code Monitor.of(new SoakAccount(..))}.
 * {@link #transferTo} calls the receiving account while holding this one, so transfers in
 * opposite directions deadlock and the runtime breaks the cycle; the victim's withdrawal is
 * undone before the exception leaves, so money is never created or lost.
 */
public class SoakAccount {
    private long balance;

    /** @param balance the opening balance */
    public SoakAccount(long balance) {
        this.balance = balance;
    }

    /** @return the balance */
    @MonitorMethod
    public long balance() {
        return balance;
    }

    /** @param amount money to add */
    @MonitorMethod
    public void deposit(long amount) {
        balance += amount;
    }

    /**
     * Moves {@code amount} to {@code to}, entering its monitor while holding this one.
     *
     * @param lose units the deposit leaves out (0, except under {@code --break=lose-money})
     * @return false if the balance did not cover the amount
     */
    @MonitorMethod
    public boolean transferTo(SoakAccount to, long amount, long lose) {
        if (balance < amount) {
            return false;
        }
        balance -= amount;
        try {
            to.deposit(amount - lose);
        } catch (RuntimeException e) {
            balance += amount;   // DeadlockException: the deposit did not happen
            throw e;
        }
        return true;
    }

    /**
     * Waits up to {@code wait} (monitor released) until the balance covers {@code amount}, then
     * withdraws it.
     *
     * @return false if it still did not cover it
     * @throws InterruptedException if interrupted while waiting; nothing changed
     */
    @MonitorMethod
    public boolean withdrawWhenCovered(long amount, Duration wait) throws InterruptedException {
        if (!Monitor.await(() -> balance >= amount, wait)) {
            return false;
        }
        balance -= amount;
        return true;
    }
}
