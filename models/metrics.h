/* The branch's metric registry: one row per metric, in row order. Adding a
 * metric is one enum entry and one table row; output, summaries, describe
 * and the docs all read the table. */
#ifndef BS_METRICS_H
#define BS_METRICS_H

enum bs_metric {
    BS_M_ARRIVED,
    BS_M_SERVED,
    BS_M_WAIT_MEAN_MIN,
    BS_M_WAIT_P90_MIN,
    BS_M_WAIT_MAX_MIN,
    BS_M_SHARE_WAITED,
    BS_M_SHARE_WAIT_OVER_10MIN,
    BS_M_SERVICE_MEAN_MIN,
    BS_M_COUNTER_UTILIZATION,
    BS_M_DAY_END_MIN,
    BS_M_EVENTS,
    BS_M_COUNT
};

#endif
