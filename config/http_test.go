package config

import (
	"errors"
	"slices"
	"testing"
)

func TestHTTPListeners(t *testing.T) {
	b := Defaults()
	if b.HTTP.ConsoleListeners != "http://127.0.0.1:8080" || !b.HTTP.ConsoleEnable || b.HTTP.MetricsListeners != "" {
		t.Fatalf("defaults %+v", b.HTTP)
	}
	got, err := ParseHTTPListeners("console.listeners", "http://127.0.0.1:0, http://:8081,")
	if err != nil || !slices.Equal(got, []string{"127.0.0.1:0", ":8081"}) {
		t.Fatalf("got %q, %v", got, err)
	}
	for _, bad := range []string{"https://127.0.0.1:8080", "127.0.0.1:8080", "http://127.0.0.1", "http://127.0.0.1:8080/console"} {
		err := b.Set("console.listeners", bad)
		var ce *Error
		if !errors.As(err, &ce) || ce.Msg != "Invalid value "+bad+" for configuration console.listeners: each listener must be http://HOST:PORT" {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := b.Set("metrics.listeners", "http://127.0.0.1:9404"); err != nil || b.HTTP.MetricsListeners != "http://127.0.0.1:9404" || !b.IsSet("metrics.listeners") {
		t.Fatalf("metrics.listeners: %v %+v", err, b.HTTP)
	}
	if err := b.Set("console.enable", "false"); err != nil || b.HTTP.ConsoleEnable {
		t.Fatalf("console.enable: %v", err)
	}
}
