/* Names, units and meanings of every metric a branch day reports. */
#include "metrics.h"

#include "../sim/model.h"

static const struct bs_metric_def metric_defs[BS_M_COUNT] = {
    [BS_M_ARRIVED] = {"arrived", "customers", "customers who came through the door"},
    [BS_M_SERVED] = {"served", "customers", "customers whose service at a counter ended"},
    [BS_M_WAIT_MEAN_MIN] = {"wait_mean_min", "min",
                            "mean wait from arrival to service start (customers arriving after output.warmup_min)"},
    [BS_M_WAIT_P90_MIN] = {"wait_p90_min", "min", "90th percentile of the wait"},
    [BS_M_WAIT_MAX_MIN] = {"wait_max_min", "min", "longest wait"},
    [BS_M_SHARE_WAITED] = {"share_waited", "1", "share of customers who waited at all (P(wait > 0))"},
    [BS_M_SHARE_WAIT_OVER_10MIN] = {"share_wait_over_10min", "1", "share of customers who waited over 10 minutes"},
    [BS_M_SERVICE_MEAN_MIN] = {"service_mean_min", "min", "mean service time at the counter"},
    [BS_M_COUNTER_UTILIZATION] = {"counter_utilization", "1",
                                  "busy counter time / counter time from opening until the last customer leaves"},
    [BS_M_DAY_END_MIN] = {"day_end_min", "min", "minutes from opening until the last customer leaves"},
    [BS_M_EVENTS] = {"events", "events", "events processed by the simulation engine"},
};

const struct bs_metric_def *bs_model_metrics(size_t *count)
{
    *count = BS_M_COUNT;
    return metric_defs;
}
