//go:build e2e

package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromium runs headless Chromium on a file with the network-quiet flags
// and returns its stdout and stderr.
func chromium(t *testing.T, file string, extra ...string) (string, string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	require.NoError(t, err, "the HTML report test needs Debian's chromium (make deps-e2e)")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0",
	}
	args = append(append(args, extra...), "file://"+file)
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "chromium: %s", errb.String())
	return out.String(), errb.String()
}

// consoleRe matches what Chromium logs for a page's console messages and
// uncaught errors with --enable-logging=stderr.
var consoleRe = regexp.MustCompile(`(?m)CONSOLE|Uncaught|Failed to load resource|net::ERR_`)

// TestHTMLInChromium opens each rendered HTML report in a real headless
// browser: no console errors and no network fetches, the DOM has the
// verdicts and four charts, and the screenshot shows drawn charts (not a
// blank page).
func TestHTMLInChromium(t *testing.T) {
	files, err := filepath.Glob("testdata/out_*.html")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			abs, err := filepath.Abs(f)
			require.NoError(t, err)

			dom, logs := chromium(t, abs, "--dump-dom")
			assert.NotRegexp(t, consoleRe, logs, "console errors or fetches while loading %s", f)
			assert.Contains(t, dom, `id="verdicts"`)
			assert.GreaterOrEqual(t, strings.Count(dom, `<svg class="chart"`), 6, "charts in the DOM")
			assert.Contains(t, dom, "<polyline")
			if strings.Contains(f, "unhealthy") {
				assert.Contains(t, dom, `<p class="reason" id="reason">generator fs2 was saturated`)
				assert.Contains(t, dom, `<g class="event"><title>12s: fs2 down</title>`)
			}

			shot := filepath.Join(t.TempDir(), "shot.png")
			_, logs = chromium(t, abs, "--window-size=1200,1600", "--hide-scrollbars", "--screenshot="+shot)
			assert.NotRegexp(t, consoleRe, logs)
			img := decodePNG(t, shot)
			// Charts are drawn in the Okabe-Ito palette; a blank or
			// unstyled page has none of those colours.
			assert.Greater(t, paletteShare(img), 0.002, "no chart colours in the screenshot of %s", f)
			assert.Greater(t, distinctColours(img), 50, "screenshot of %s looks blank", f)
		})
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img
}

// paletteShare is the fraction of pixels close to one of the chart colours.
func paletteShare(img image.Image) float64 {
	var cols [][3]int
	for _, hex := range palette[:6] {
		var c [3]int
		for i := range 3 {
			v := 0
			for _, ch := range hex[1+2*i : 3+2*i] {
				v *= 16
				switch {
				case ch >= '0' && ch <= '9':
					v += int(ch - '0')
				default:
					v += int(ch-'A') + 10
				}
			}
			c[i] = v
		}
		cols = append(cols, c)
	}
	b := img.Bounds()
	hit, total := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			p := [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
			total++
			for _, c := range cols {
				if abs(p[0]-c[0])+abs(p[1]-c[1])+abs(p[2]-c[2]) < 40 {
					hit++
					break
				}
			}
		}
	}
	return float64(hit) / float64(total)
}

func distinctColours(img image.Image) int {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[(r>>8)<<16|(g>>8)<<8|bl>>8] = true
		}
	}
	return len(seen)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
