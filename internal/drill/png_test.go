package drill

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/testenv"
)

// TestTimelineAlsoRendersAsPNG: the SVG a drill writes converts to a PNG of
// the same size that decodes and is not blank.
func TestTimelineAlsoRendersAsPNG(t *testing.T) {
	testenv.NeedCommand(t, "rsvg-convert")
	r := crashRecord()
	r.Scenario, r.Impl, r.Interval, r.Run = "master-crash", "vigil", 10*time.Millisecond, 1
	svg := filepath.Join(t.TempDir(), "run1.svg")
	if err := writeTimelineFile(svg, r, Measure(r)); err != nil {
		t.Fatal(err)
	}
	out, err := svgToPNG(svg)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 200 || b.Dy() < 100 {
		t.Fatalf("PNG is %dx%d", b.Dx(), b.Dy())
	}
	colours := map[[3]uint32]bool{}
	for x := b.Min.X; x < b.Max.X; x += 7 {
		for y := b.Min.Y; y < b.Max.Y; y += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	if len(colours) < 4 {
		t.Fatalf("PNG has %d colours: the timeline did not render", len(colours))
	}
}
