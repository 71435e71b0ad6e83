package media

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// FileCache keeps decoded audio files, so the thousand calls of a load
// test playing one prompt decode it once and share its samples. An entry
// is used while the file's size and modification time are unchanged;
// the least recently used entries go when the cache is over its budget.
type FileCache struct {
	mu      sync.Mutex
	budget  int // samples
	used    int
	clock   uint64
	entries map[string]*cachedFile
}

type cachedFile struct {
	size    int64
	modTime time.Time
	pcm     []int16
	last    uint64
}

// NewFileCache keeps up to budgetBytes of decoded 8 kHz audio (2 bytes a
// sample); a file bigger than that is decoded for each playback.
func NewFileCache(budgetBytes int) *FileCache {
	return &FileCache{budget: budgetBytes / 2, entries: map[string]*cachedFile{}}
}

// Load returns the file's samples at 8 kHz; the slice is shared and must
// not be changed. A missing file's error is os.ErrNotExist.
func (c *FileCache) Load(path string) ([]int16, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	c.mu.Lock()
	if e, ok := c.entries[path]; ok && e.size == fi.Size() && e.modTime.Equal(fi.ModTime()) {
		c.clock++
		e.last = c.clock
		c.mu.Unlock()
		return e.pcm, nil
	}
	c.mu.Unlock()
	pcm, err := ReadWAVFile(path)
	if err != nil {
		return nil, err
	}
	if len(pcm) > c.budget {
		return pcm, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[path]; ok {
		c.used -= len(old.pcm)
	}
	c.clock++
	c.entries[path] = &cachedFile{size: fi.Size(), modTime: fi.ModTime(), pcm: pcm, last: c.clock}
	c.used += len(pcm)
	for c.used > c.budget {
		c.evictOldest()
	}
	return pcm, nil
}

// evictOldest drops the least recently used entry. c.mu is held.
func (c *FileCache) evictOldest() {
	var oldest string
	var at uint64
	for p, e := range c.entries {
		if oldest == "" || e.last < at {
			oldest, at = p, e.last
		}
	}
	c.used -= len(c.entries[oldest].pcm)
	delete(c.entries, oldest)
}
