package org.safethread.internal.branch;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** JFR event: a branch ended (join or close) with failed children. Committed by the owner. */
@Name("org.safethread.BranchFailed")
@Label("Branch Failed")
@Category("safethread")
@Description("A branch ended with at least one failed child")
@StackTrace(true)
public final class BranchFailedEvent extends jdk.jfr.Event {
    @Label("Branch")
    public String branch;

    @Label("Children")
    @Description("Children forked on the branch")
    public int children;

    @Label("Failed")
    @Description("Children that ended FAILED")
    public int failed;

    @Label("Cancelled")
    @Description("Children that ended CANCELLED")
    public int cancelled;

    @Label("First Failure")
    @Description("Class and message of the first failure in fork order")
    public String firstFailure;
}
