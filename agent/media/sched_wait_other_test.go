//go:build !linux

package media

import "time"

// runQueueWait is not measured outside Linux.
func runQueueWait() time.Duration { return 0 }
