/* Analytic queueing results the statistical tests check the simulator
 * against. */
#ifndef BS_TESTS_QUEUEING_H
#define BS_TESTS_QUEUEING_H

/* Erlang C: the probability that an arrival waits in M/M/c with offered
 * load a = lambda / mu < c. */
static inline double erlang_c(int c, double a)
{
    double term = 1.0, sum = 0.0; /* term = a^k / k! */
    for (int k = 0; k < c; k++) {
        sum += term;
        term *= a / (k + 1);
    }
    double tail = term / (1.0 - a / c);
    return tail / (sum + tail);
}

#endif
