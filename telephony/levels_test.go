package telephony

import (
	"context"
	"sync"
	"testing"
	"time"

	"agentdesk/telephony/audio/audiotest"
)

// TestUA_Levels_PolledWhileStarting: a window polls Levels from its own
// goroutine from the moment it builds the UA, before and while Start
// runs (go test -race is the check), and during a call the levels move.
func TestUA_Levels_PolledWhileStarting(t *testing.T) {
	pbx := startFakePBX(t, "pw", "MD5")
	ua, err := New(Config{PBX: pbx.uri(), User: "1001", Password: "pw"}, newEvents(), WithLogger(quietLogger()),
		WithListenAddr("127.0.0.1:0"), WithAudioBackend(audiotest.New()))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	polls := 0
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ua.Levels()
			_ = ua.AudioStatus()
			polls++
			time.Sleep(time.Millisecond)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ua.Start(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	_ = ua.Close()
	if polls == 0 {
		t.Fatal("never polled")
	}
	if in, out := ua.Levels(); in != 0 || out != 0 {
		t.Errorf("levels after close: %v %v", in, out)
	}
}

// BenchmarkUA_Levels is what a level meter's poll costs on a started UA
// (two atomic loads whether a call is up or not; the UI polls 5 times a
// second).
//
//	go test -run '^$' -bench BenchmarkUA_Levels ./telephony
func BenchmarkUA_Levels(b *testing.B) {
	pbx := startFakePBX(b, "pw", "MD5")
	ev := newEvents()
	ua, err := New(Config{PBX: pbx.uri(), User: "1001", Password: "pw"}, ev, WithLogger(quietLogger()),
		WithListenAddr("127.0.0.1:0"), WithAudioBackend(audiotest.New()))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ua.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer ua.Close()
	var sink float64
	b.ReportAllocs()
	for b.Loop() {
		in, out := ua.Levels()
		sink += in + out
	}
	_ = sink
}
