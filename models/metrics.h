/* The branch's metric registries: per-day metrics, per-segment and per-role
 * breakdowns, and time series. Adding a metric is one enum entry and one
 * table row; output, summaries, describe and the docs all read the tables. */
#ifndef BS_METRICS_H
#define BS_METRICS_H

enum bs_metric {
    BS_M_INTENTS,
    BS_M_ONLINE,
    BS_M_SHARE_ONLINE,
    BS_M_BOOKINGS_REQUESTED,
    BS_M_BOOKINGS_REFUSED,
    BS_M_BOOKINGS_REFUSED_LEFT,
    BS_M_BOOKINGS_MOVED,
    BS_M_BOOKED,
    BS_M_NOSHOWS,
    BS_M_LATE_LOST_APPOINTMENT,
    BS_M_SLOT_UTILIZATION,
    BS_M_SLOT_DEMAND_RATIO,
    BS_M_APPOINTMENT_WAIT_MEAN_MIN,
    BS_M_SHIFTED,
    BS_M_PEAK_WINDOW_ARRIVALS,
    BS_M_KIOSK_USERS,
    BS_M_KIOSK_SERVED,
    BS_M_KIOSK_WAIT_MEAN_MIN,
    BS_M_KIOSK_UTILIZATION,
    BS_M_ARRIVED,
    BS_M_SERVED,
    BS_M_BALKED,
    BS_M_RENEGED,
    BS_M_ABANDONED,
    BS_M_TURNED_AWAY,
    BS_M_WAIT_MEAN_MIN,
    BS_M_WAIT_P50_MIN,
    BS_M_WAIT_P90_MIN,
    BS_M_WAIT_P95_MIN,
    BS_M_WAIT_MAX_MIN,
    BS_M_SHARE_WAITED,
    BS_M_SHARE_WAIT_OVER_10MIN,
    BS_M_WAIT_INSIDE_MEAN_MIN,
    BS_M_WAIT_INSIDE_P90_MIN,
    BS_M_WAIT_INSIDE_P95_MIN,
    BS_M_WAIT_OUTSIDE_MEAN_MIN,
    BS_M_SERVICE_MEAN_MIN,
    BS_M_SHARE_SERVICE_OVER_10MIN,
    BS_M_TIME_IN_BRANCH_MEAN_MIN,
    BS_M_COUNTER_UTILIZATION,
    BS_M_COUNTERS_OPEN_MEAN,
    BS_M_STAFF_ABSENT,
    BS_M_PEAK_OCCUPANCY,
    BS_M_OCCUPANCY_MEAN,
    BS_M_PERSON_MINUTES_INSIDE,
    BS_M_OUTSIDE_WAIT_MEAN_MIN,
    BS_M_SCREENED_OUT,
    BS_M_INFECTIOUS_VISITORS,
    BS_M_EXPECTED_INFECTIONS_CUSTOMERS,
    BS_M_EXPECTED_INFECTIONS_STAFF,
    BS_M_RISK_MEAN_CUSTOMER,
    BS_M_RISK_MAX_CUSTOMER,
    BS_M_RISK_MEAN_STAFF,
    BS_M_CLOSE_CONTACTS,
    BS_M_COUNTER_CONTACTS,
    BS_M_DAY_END_MIN,
    BS_M_EVENTS,
    BS_M_COUNT
};

enum bs_segment_metric {
    BS_SM_ARRIVED,
    BS_SM_SERVED,
    BS_SM_BALKED,
    BS_SM_RENEGED,
    BS_SM_TURNED_AWAY,
    BS_SM_ONLINE,
    BS_SM_BOOKED,
    BS_SM_NOSHOWS,
    BS_SM_WAIT_MEAN_MIN,
    BS_SM_WAIT_P90_MIN,
    BS_SM_SHARE_WAIT_OVER_10MIN,
    BS_SM_WAIT_INSIDE_MEAN_MIN,
    BS_SM_SHARE_WITHIN_STANDARDS,
    BS_SM_COUNT
};

enum bs_role_metric {
    BS_RM_COUNTER_UTILIZATION,
    BS_RM_COUNTERS_OPEN_MEAN,
    BS_RM_COUNT
};

/* Per appointment slot, by the slot's clock time; no entities without appointments. */
enum bs_slot_metric {
    BS_SL_REQUESTED,
    BS_SL_BOOKED,
    BS_SL_MOVED,
    BS_SL_REFUSED,
    BS_SL_DEMAND_RATIO,
    BS_SL_COUNT
};

/* Per service standard (scenario key standards). */
enum bs_standard_metric {
    BS_STM_SHARE_WITHIN,
    BS_STM_MET,
    BS_STM_COVERED,
    BS_STM_COUNT
};

/* Per-customer quantities pooled over days (sim/pooled.h), per segment. */
enum bs_pooled {
    BS_P_WAIT_MIN,
    BS_P_SERVICE_MIN,
    BS_P_TIME_IN_BRANCH_MIN,
    BS_P_COUNT
};

enum bs_breakdown_id { BS_BD_SEGMENTS, BS_BD_ROLES, BS_BD_SLOTS, BS_BD_STANDARDS, BS_BD_COUNT };

enum bs_series {
    BS_TS_ARRIVALS,
    BS_TS_OCCUPANCY,
    BS_TS_QUEUE_LENGTH,
    BS_TS_COUNTERS_OPEN,
    BS_TS_WAIT_MEAN_MIN,
    BS_TS_CONCENTRATION,
    BS_TS_COUNT
};

#endif
