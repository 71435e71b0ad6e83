package memstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
)

// Reading is one look at the process's memory, in MB (10^6 bytes).
type Reading struct {
	// Heap is the live Go heap (HeapAlloc) after two collections: the
	// second also frees what finalizers of the first released.
	Heap float64
	// RSS is the resident set size (VmRSS of /proc/self/status) right
	// after those collections; 0 where /proc is not there. The runtime
	// returns freed pages to the OS gradually, so it lags the heap down.
	RSS float64
	// Released is the RSS once debug.FreeOSMemory has returned every free
	// page: what the process needs, where RSS is what it holds. A Read
	// leaves the pages returned.
	Released float64
}

// Read collects garbage and reads the heap and the RSS.
func Read() Reading {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	rss, _ := RSS()
	debug.FreeOSMemory()
	released, _ := RSS()
	return Reading{Heap: float64(m.HeapAlloc) / 1e6, RSS: rss, Released: released}
}

func (r Reading) String() string {
	return fmt.Sprintf("heap %.2f MB, RSS %.1f MB (%.1f MB released)", r.Heap, r.RSS, r.Released)
}

// RSS is the process's resident set size in MB, from /proc/self/status.
func RSS() (float64, error) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("reading the resident set size: %w", err)
	}
	return parseVmRSS(raw)
}

// parseVmRSS finds the "VmRSS:   12345 kB" line of a /proc/<pid>/status.
func parseVmRSS(status []byte) (float64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 3 && string(f[0]) == "VmRSS:" && string(f[2]) == "kB" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS %q: %w", f[1], err)
			}
			return float64(kb) * 1024 / 1e6, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS line in the process status")
}

// WriteHeapProfile writes the heap profile to <dir>/<name>.heap when the
// CALLPLAN_HEAP_PROFILES variable names a folder dir (the heap benchmarks'
// readings, for `go tool pprof -base before after`); nothing otherwise.
func WriteHeapProfile(name string) error {
	dir := os.Getenv("CALLPLAN_HEAP_PROFILES")
	if dir == "" {
		return nil
	}
	f, err := os.Create(filepath.Join(dir, name+".heap"))
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		return fmt.Errorf("heap profile %s: %w", f.Name(), err)
	}
	return nil
}
