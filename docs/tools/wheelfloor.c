// wheelfloor: the lateness floor of a 1 ms pacing wheel on this machine,
// with no Go runtime in the way (docs/performance.md, "What is left of the
// lateness, and a P for every wheel").
//
// THREADS threads at SCHED_FIFO priority 1 (each pinned to its own CPU when
// there are several) serve shared 1 ms slots for SECONDS seconds: each slot
// is claimed by whichever thread gets to it first, overdue slots are served
// one after the other without skipping, as agent/media/sched.go does, and a
// slot served more than 5 / 10 ms after its due time counts as late.
//
//   gcc -O2 -pthread -o /tmp/wheelfloor docs/tools/wheelfloor.c
//   /tmp/wheelfloor 60 1    # one wheel
//   /tmp/wheelfloor 60 2    # two wheels, either may serve a slot
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static atomic_llong next_slot, late5, late10, max_late;
static long long epoch, total;

static void *wheel(void *arg) {
	long cpu = (long)arg;
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	}
	struct sched_param p = {.sched_priority = 1};
	if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &p))
		perror("SCHED_FIFO");
	for (;;) {
		long long n = atomic_load(&next_slot);
		if (n >= total)
			return NULL;
		long long due = epoch + n * 1000000LL;
		struct timespec ts = {due / 1000000000LL, due % 1000000000LL};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		for (;;) {
			long long t = now_ns();
			n = atomic_load(&next_slot);
			if (n >= total)
				return NULL;
			due = epoch + n * 1000000LL;
			if (due > t)
				break;
			if (!atomic_compare_exchange_strong(&next_slot, &n, n + 1))
				continue;
			long long late = t - due;
			if (late > 5000000)
				atomic_fetch_add(&late5, 1);
			if (late > 10000000)
				atomic_fetch_add(&late10, 1);
			long long m = atomic_load(&max_late);
			while (late > m && !atomic_compare_exchange_weak(&max_late, &m, late))
				;
		}
	}
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: %s SECONDS THREADS\n", argv[0]);
		return 2;
	}
	int secs = atoi(argv[1]), threads = atoi(argv[2]);
	if (secs < 1 || threads < 1 || threads > 64) {
		fprintf(stderr, "SECONDS >= 1, 1 <= THREADS <= 64\n");
		return 2;
	}
	total = secs * 1000LL;
	epoch = now_ns() + 10000000LL;
	pthread_t th[64];
	for (long i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, wheel, (void *)(threads > 1 ? i : -1L));
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	printf("threads %d slots %lld late>5ms %.4f%% late>10ms %.4f%% max %.1f ms\n", threads, total,
	       100.0 * late5 / total, 100.0 * late10 / total, max_late / 1e6);
	return 0;
}
