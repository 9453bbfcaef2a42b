package org.safethread.examples;

import org.safethread.DeadlockException;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * A bank account guarded by a monitor: create it with {@code Monitor.of(new Account(...))} and use
 * only the proxy. Every public method is a {@link MonitorMethod}, so there is no unlocked path to
 * the balance.
 *
 * <p>{@link #transferTo} holds this account's monitor while it calls into the other account's:
 * two threads transferring in opposite directions between the same pair is the classic lock
 * ordering deadlock. safethread detects it and throws {@link DeadlockException} to one of the
 * two threads from its {@code to.deposit(..)} call; that call never entered the other account,
 * and this method undoes its withdrawal before letting the exception unwind, so no money is
 * created or lost.
 */
public class Account {
    private final int id;
    private long balance;

    /**
     * @param id a number for messages
     * @param balance the opening balance
     */
    public Account(int id, long balance) {
        this.id = id;
        this.balance = balance;
    }

    /** @return the account's number */
    @MonitorMethod
    public int id() {
        return id;
    }

    /** @return the current balance */
    @MonitorMethod
    public long balance() {
        return balance;
    }

    /** @param amount money to add; positive */
    @MonitorMethod
    public void deposit(long amount) {
        if (amount <= 0) {
            throw new IllegalArgumentException("deposit: amount must be positive, got " + amount);
        }
        balance += amount;
    }

    /**
     * Moves {@code amount} from this account to {@code to}, calling {@code to.deposit} while
     * holding this account's monitor.
     *
     * @param to the receiving account (a monitor: monitors are shareable, so it may cross the wall)
     * @param amount money to move; positive
     * @return false, changing nothing, if the balance does not cover the amount
     * @throws DeadlockException if this call was chosen as the victim of a deadlock; nothing changed
     */
    @MonitorMethod
    public boolean transferTo(Account to, long amount) {
        if (amount <= 0) {
            throw new IllegalArgumentException("transferTo: amount must be positive, got " + amount);
        }
        if (!Monitor.isMonitor(to)) {
            throw new IllegalArgumentException("transferTo: the receiving account must be a monitor (Monitor.of)");
        }
        if (balance < amount) {
            return false;
        }
        balance -= amount;
        try {
            to.deposit(amount);   // enters the other account's monitor while holding this one
        } catch (RuntimeException e) {
            balance += amount;    // DeadlockException (or anything else): the deposit did not happen
            throw e;
        }
        return true;
    }
}
