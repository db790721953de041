/* Names, units and meanings of every metric a branch day reports. */
#include "metrics.h"

#include "../sim/model.h"

static const struct bs_metric_def metric_defs[BS_M_COUNT] = {
    [BS_M_INTENTS] = {"intents", "customers", "Customers with business", "customers with business to do today (before online shift and bookings)"},
    [BS_M_ONLINE] = {"online", "customers", "Customers served online", "intents done online: the customer never comes"},
    [BS_M_SHARE_ONLINE] = {"share_online", "1", "Share of intents done online", "online / intents"},
    [BS_M_BOOKINGS_REQUESTED] = {"bookings_requested", "customers", "Customers asking to book",
                                 "customers who tried to book an appointment (for the slot of their intended time)"},
    [BS_M_BOOKINGS_REFUSED] = {"bookings_refused", "customers", "Customers refused a booking",
                               "customers who tried to book and got no slot: theirs was full and they found no slot with room within appointments.window_slots, or did not look (appointments.when_full); bookings_requested = booked + bookings_refused"},
    [BS_M_BOOKINGS_REFUSED_LEFT] = {"bookings_refused_left", "customers", "Refused customers who gave up",
                                    "refused customers who gave up (when_full.leave): they never come; the other refused come as walk-ins"},
    [BS_M_BOOKINGS_MOVED] = {"bookings_moved", "customers", "Customers booked into another slot",
                             "customers whose slot was full and who booked the nearest slot with room within appointments.window_slots (part of booked)"},
    [BS_M_BOOKED] = {"booked", "customers", "Customers with an appointment", "customers holding an appointment slot"},
    [BS_M_NOSHOWS] = {"noshows", "customers", "Appointment no-shows", "booked customers who did not come"},
    [BS_M_LATE_LOST_APPOINTMENT] = {"late_lost_appointment", "customers", "Customers late for their appointment",
                                    "booked customers later than the grace period: they queue as walk-ins"},
    [BS_M_SLOT_UTILIZATION] = {"slot_utilization", "1", "Appointment capacity used", "booked customers who came / appointment capacity offered"},
    [BS_M_SLOT_DEMAND_RATIO] = {"slot_demand_ratio", "1", "Booking demand / appointment capacity",
                                "bookings_requested / appointment capacity offered: above 1, more customers asked than the slots hold"},
    [BS_M_APPOINTMENT_WAIT_MEAN_MIN] = {"appointment_wait_mean_min", "min", "Mean wait after the slot start",
                                        "mean minutes from slot start to service start of appointment holders (0 when served by the slot start)"},
    [BS_M_SHIFTED] = {"shifted", "customers", "Walk-ins shifted off-peak", "walk-ins moved from a peak window to off-peak by the incentive"},
    [BS_M_PEAK_WINDOW_ARRIVALS] = {"peak_window_arrivals", "customers", "Arrivals in peak windows", "arrivals inside the peak windows"},
    [BS_M_KIOSK_USERS] = {"kiosk_users", "customers", "Kiosk users", "arrivals who went to a self-service kiosk"},
    [BS_M_KIOSK_SERVED] = {"kiosk_served", "customers", "Kiosk services", "kiosk services completed"},
    [BS_M_KIOSK_WAIT_MEAN_MIN] = {"kiosk_wait_mean_min", "min", "Mean kiosk wait", "mean wait for a kiosk"},
    [BS_M_KIOSK_UTILIZATION] = {"kiosk_utilization", "1", "Kiosk utilization", "busy / open kiosk time, until the last customer leaves"},
    [BS_M_ARRIVED] = {"arrived", "customers", "Customers arrived",
                      "customers who came to the branch (intents - online - noshows - bookings_refused_left); those after closing are turned away"},
    [BS_M_SERVED] = {"served", "customers", "Customers served", "customers whose business was done: at a counter, or at a kiosk alone"},
    [BS_M_BALKED] = {"balked", "customers", "Customers balked", "customers who left at once on seeing the tickets ahead, or at the door on the line outside the cap"},
    [BS_M_RENEGED] = {"reneged", "customers", "Customers reneged", "customers who left the line when their patience ran out"},
    [BS_M_ABANDONED] = {"abandoned", "customers", "Customers abandoned", "balked + reneged"},
    [BS_M_TURNED_AWAY] = {"turned_away", "customers", "Customers turned away",
                          "customers sent away: screened out at the door, coming after closing, or still waiting (inside with no counter for them, or outside under the cap) at the end of the day"},
    [BS_M_WAIT_MEAN_MIN] = {"wait_mean_min", "min", "Mean wait",
                            "mean whole wait of customers served at a counter who arrived after output.warmup_min: from arrival at the branch (the door, or the line outside under the cap) to service start, outside + kiosk line + counter line (kiosk service apart)"},
    [BS_M_WAIT_P50_MIN] = {"wait_p50_min", "min", "Median wait", "median whole wait (as wait_mean_min) of served customers"},
    [BS_M_WAIT_P90_MIN] = {"wait_p90_min", "min", "90th percentile wait", "90th percentile of the whole wait of served customers"},
    [BS_M_WAIT_P95_MIN] = {"wait_p95_min", "min", "95th percentile wait", "95th percentile of the whole wait of served customers"},
    [BS_M_WAIT_MAX_MIN] = {"wait_max_min", "min", "Longest wait", "longest whole wait of a served customer"},
    [BS_M_SHARE_WAITED] = {"share_waited", "1", "Share of customers who waited", "share of served customers who waited at all (P(whole wait > 0))"},
    [BS_M_SHARE_WAIT_OVER_10MIN] = {"share_wait_over_10min", "1", "Share waiting over 10 min",
                                    "share of served customers whose whole wait (outside included) was over 10 minutes (1 - share_within of the default standard wait_10min)"},
    [BS_M_WAIT_INSIDE_MEAN_MIN] = {"wait_inside_mean_min", "min", "Mean wait inside",
                                   "inside part of wait_mean_min (kiosk line + counter line), same customers; wait_mean_min = wait_inside_mean_min + wait_outside_mean_min"},
    [BS_M_WAIT_INSIDE_P90_MIN] = {"wait_inside_p90_min", "min", "90th percentile wait inside", "90th percentile of the inside part of the wait of served customers"},
    [BS_M_WAIT_INSIDE_P95_MIN] = {"wait_inside_p95_min", "min", "95th percentile wait inside", "95th percentile of the inside part of the wait of served customers"},
    [BS_M_WAIT_OUTSIDE_MEAN_MIN] = {"wait_outside_mean_min", "min", "Mean wait outside",
                                    "outside part of wait_mean_min (the line outside under the cap; 0 for those who walked straight in), same customers"},
    [BS_M_SERVICE_MEAN_MIN] = {"service_mean_min", "min", "Mean service time", "mean service time at the counter"},
    [BS_M_SHARE_SERVICE_OVER_10MIN] = {"share_service_over_10min", "1", "Share of services over 10 min",
                                       "share of served customers whose service took over 10 minutes (1 - share_within of the default standard service_10min)"},
    [BS_M_TIME_IN_BRANCH_MEAN_MIN] = {"time_in_branch_mean_min", "min", "Mean time in branch",
                                      "mean time from coming in (after any wait outside under the cap) to leaving, over all arrivals (balkers and those never inside count 0)"},
    [BS_M_COUNTER_UTILIZATION] = {"counter_utilization", "1", "Counter utilization",
                                  "busy counter time / open counter time (kiosks apart), until the last customer leaves"},
    [BS_M_COUNTERS_OPEN_MEAN] = {"counters_open_mean", "counters", "Mean counters open", "time-average number of open counters (kiosks apart) while the doors are open"},
    [BS_M_STAFF_ABSENT] = {"staff_absent", "staff", "Staff absent", "counter staff absent for the day (kiosks are not staff)"},
    [BS_M_PEAK_OCCUPANCY] = {"peak_occupancy", "customers", "Peak customers inside", "most customers inside at once (waiting or in service)"},
    [BS_M_OCCUPANCY_MEAN] = {"occupancy_mean", "customers", "Mean customers inside",
                             "time-average customers inside, from opening until the last customer leaves"},
    [BS_M_PERSON_MINUTES_INSIDE] = {"person_minutes_inside", "min", "Customer minutes inside", "sum of the customers' minutes inside the branch"},
    [BS_M_OUTSIDE_WAIT_MEAN_MIN] = {"outside_wait_mean_min", "min", "Mean wait outside of those who waited outside",
                                    "mean wait outside under the occupancy cap, of those who came in from outside (served or not; see wait_outside_mean_min)"},
    [BS_M_SCREENED_OUT] = {"screened_out", "customers", "Customers screened out",
                           "customers flagged at the door by screening and sent to online service (part of turned_away)"},
    [BS_M_INFECTIOUS_VISITORS] = {"infectious_visitors", "customers", "Infectious customers inside", "infectious customers who came inside"},
    [BS_M_EXPECTED_INFECTIONS_CUSTOMERS] = {"expected_infections_customers", "persons", "Expected customer infections",
                                            "sum of the infection risks of susceptible customers who came inside (Wells-Riley)"},
    [BS_M_EXPECTED_INFECTIONS_STAFF] = {"expected_infections_staff", "persons", "Expected staff infections",
                                        "sum of the infection risks of susceptible staff at work"},
    [BS_M_RISK_MEAN_CUSTOMER] = {"risk_mean_customer", "1", "Mean customer infection risk", "mean infection risk of a susceptible customer inside"},
    [BS_M_RISK_MAX_CUSTOMER] = {"risk_max_customer", "1", "Highest customer infection risk", "largest infection risk of a susceptible customer who came inside"},
    [BS_M_RISK_MEAN_STAFF] = {"risk_mean_staff", "1", "Mean staff infection risk", "mean infection risk of a susceptible staff member at work"},
    [BS_M_CLOSE_CONTACTS] = {"close_contacts", "pairs", "Close contacts",
                             "(infectious, susceptible) pairs inside together for exposure.close_contact_min or more"},
    [BS_M_COUNTER_CONTACTS] = {"counter_contacts", "services", "Infectious counter contacts",
                               "counter services between an infectious and a susceptible person"},
    [BS_M_DAY_END_MIN] = {"day_end_min", "min", "Day length", "minutes from opening until closing or the last event, whichever is later"},
    [BS_M_EVENTS] = {"events", "events", "Simulation events", "events processed by the simulation engine"},
};

static const struct bs_metric_def segment_defs[BS_SM_COUNT] = {
    [BS_SM_ARRIVED] = {"arrived", "customers", "Customers arrived", "customers of the segment who came"},
    [BS_SM_SERVED] = {"served", "customers", "Customers served", "customers of the segment served"},
    [BS_SM_BALKED] = {"balked", "customers", "Customers balked", "customers of the segment who balked (inside or at the door)"},
    [BS_SM_RENEGED] = {"reneged", "customers", "Customers reneged", "customers of the segment who reneged"},
    [BS_SM_ONLINE] = {"online", "customers", "Customers served online", "the segment's intents done online"},
    [BS_SM_BOOKED] = {"booked", "customers", "Customers with an appointment", "the segment's customers holding an appointment"},
    [BS_SM_NOSHOWS] = {"noshows", "customers", "Appointment no-shows", "the segment's booked customers who did not come"},
    [BS_SM_TURNED_AWAY] = {"turned_away", "customers", "Customers turned away", "customers of the segment turned away (as turned_away: screened out, after closing or at the end of the day)"},
    [BS_SM_WAIT_MEAN_MIN] = {"wait_mean_min", "min", "Mean wait", "mean whole wait (outside + inside) of the segment's served customers"},
    [BS_SM_WAIT_P90_MIN] = {"wait_p90_min", "min", "90th percentile wait", "90th percentile whole wait of the segment's served customers"},
    [BS_SM_SHARE_WAIT_OVER_10MIN] = {"share_wait_over_10min", "1", "Share waiting over 10 min",
                                     "share of the segment's served customers whose whole wait was over 10 minutes"},
    [BS_SM_WAIT_INSIDE_MEAN_MIN] = {"wait_inside_mean_min", "min", "Mean wait inside",
                                    "inside part (kiosk line + counter line) of the segment's wait_mean_min"},
    [BS_SM_SHARE_WITHIN_STANDARDS] = {"share_within_standards", "1", "Share meeting every standard",
                                      "share of the segment's served customers covered by some standard who met every standard covering them"},
};

static const struct bs_metric_def role_defs[BS_RM_COUNT] = {
    [BS_RM_COUNTER_UTILIZATION] = {"counter_utilization", "1", "Counter utilization", "busy / open counter time of the role"},
    [BS_RM_COUNTERS_OPEN_MEAN] = {"counters_open_mean", "counters", "Mean counters open",
                                  "time-average open counters of the role while the doors are open"},
};

static const struct bs_metric_def slot_defs[BS_SL_COUNT] = {
    [BS_SL_REQUESTED] = {"requested", "customers", "Customers asking for the slot", "customers who asked for the slot (it holds their intended time)"},
    [BS_SL_BOOKED] = {"booked", "customers", "Appointments in the slot", "appointments held in the slot, whichever slot their holders asked for"},
    [BS_SL_MOVED] = {"moved", "customers", "Customers moved to another slot",
                     "customers who asked for the slot, found it full and booked another within appointments.window_slots"},
    [BS_SL_REFUSED] = {"refused", "customers", "Customers refused a slot",
                       "customers who asked for the slot, found it full and got no slot at all (see bookings_refused)"},
    [BS_SL_DEMAND_RATIO] = {"demand_ratio", "1", "Slot demand / capacity", "requested / the slot's capacity (NaN for a slot of capacity 0)"},
};

static const struct bs_metric_def standard_defs[BS_STM_COUNT] = {
    [BS_STM_SHARE_WITHIN] = {"share_within", "1", "Share within the standard",
                             "share of the standard's covered customers (served, arrived after output.warmup_min) within its threshold"},
    [BS_STM_MET] = {"met", "1", "Standard met",
                    "1 when share_within reached the standard's share that day, else 0 (mean over days: the share of days met)"},
    [BS_STM_COVERED] = {"covered", "customers", "Customers covered",
                        "customers the standard covers: served, arrived after output.warmup_min, of its segments and transactions"},
};

static const struct bs_metric_def slot_start = {
    "start_min", "min", "Slot start after opening", "start of the point's slot, minutes after opening (NaN beyond the point's slots)"};

static const struct bs_breakdown_def breakdowns[BS_BD_COUNT] = {
    [BS_BD_SEGMENTS] = {"segments", "segment", segment_defs, BS_SM_COUNT, NULL},
    [BS_BD_ROLES] = {"roles", "role", role_defs, BS_RM_COUNT, NULL},
    [BS_BD_SLOTS] = {"slots", "slot", slot_defs, BS_SL_COUNT, &slot_start},
    [BS_BD_STANDARDS] = {"standards", "standard", standard_defs, BS_STM_COUNT, NULL},
};

static const struct bs_metric_def series_defs[BS_TS_COUNT] = {
    [BS_TS_ARRIVALS] = {"arrivals", "customers", "Arrivals", "arrivals in the bin"},
    [BS_TS_OCCUPANCY] = {"occupancy", "customers", "Customers inside", "time-average customers inside in the bin"},
    [BS_TS_QUEUE_LENGTH] = {"queue_length", "customers", "Customers waiting", "time-average customers waiting in the bin"},
    [BS_TS_COUNTERS_OPEN] = {"counters_open", "counters", "Counters open", "time-average open staffed counters in the bin (kiosks apart)"},
    [BS_TS_CONCENTRATION] = {"concentration", "quanta/m3", "Airborne quanta concentration", "mean airborne quanta concentration in the hall in the bin"},
    [BS_TS_WAIT_MEAN_MIN] = {"wait_mean_min", "min", "Mean wait", "mean whole wait (as wait_mean_min) of customers who arrived in the bin and were served at a counter"},
};

/* The same customers as the wait metrics: served at a counter, arrived
 * after the warm-up. */
static const struct bs_metric_def pooled_defs[BS_P_COUNT] = {
    [BS_P_WAIT_MIN] = {"wait_min", "min", "Wait",
                       "per customer: wait of a served customer, as in wait_mean_min, pooled over every customer "
                       "of every day"},
    [BS_P_SERVICE_MIN] = {"service_min", "min", "Service time",
                          "per customer: counter service time of the same customers, pooled over every day"},
    [BS_P_TIME_IN_BRANCH_MIN] = {"time_in_branch_min", "min", "Time in branch",
                                 "per customer: from arriving at the branch (outside line included) to leaving "
                                 "after service, of the same customers, pooled over every day"},
};

const struct bs_metric_def *bs_model_pooled(size_t *count, size_t *breakdown)
{
    *count = BS_P_COUNT;
    *breakdown = BS_BD_SEGMENTS;
    return pooled_defs;
}

const struct bs_metric_def *bs_model_metrics(size_t *count)
{
    *count = BS_M_COUNT;
    return metric_defs;
}

const struct bs_breakdown_def *bs_model_breakdowns(size_t *count)
{
    *count = BS_BD_COUNT;
    return breakdowns;
}

const struct bs_metric_def *bs_model_series(size_t *count)
{
    *count = BS_TS_COUNT;
    return series_defs;
}

int bs_model_day_indicator(const struct bs_metric_def *def)
{
    return def == &standard_defs[BS_STM_MET];
}
