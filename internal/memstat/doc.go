// Package memstat reads this process's memory for the heap benchmarks
// (the *HeapFlat benchmarks, `make bench-mem`, docs/performance.md): the
// live Go heap after garbage collection, which says what the program
// keeps, and the resident set size, which is what an operator watching a
// long-running `callplan agent` sees.
package memstat
