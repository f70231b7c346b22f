package server

import (
	"syscall"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestDescribeLogDirsDiskSpace(t *testing.T) {
	s := startServer(t)
	rc := dialRaw(t, s)
	req := kmsg.NewPtrDescribeLogDirsRequest()
	req.Version = 4
	resp := rc.roundTrip(req).(*kmsg.DescribeLogDirsResponse)
	if len(resp.Dirs) != 1 {
		t.Fatalf("%d log dirs, want 1", len(resp.Dirs))
	}
	d := resp.Dirs[0]
	var st syscall.Statfs_t
	if err := syscall.Statfs(s.dataDir, &st); err != nil {
		t.Fatal(err)
	}
	if want := int64(st.Blocks) * st.Bsize; d.TotalBytes != want {
		t.Errorf("TotalBytes %d, want %d (statfs)", d.TotalBytes, want)
	}
	if d.UsableBytes <= 0 || d.UsableBytes > d.TotalBytes {
		t.Errorf("UsableBytes %d, want in (0, %d]", d.UsableBytes, d.TotalBytes)
	}
}
