package config

import (
	"errors"
	"reflect"
	"testing"
)

func TestListenAddr(t *testing.T) {
	tests := []struct{ listeners, addr string }{
		{"PLAINTEXT://127.0.0.1:9092", "127.0.0.1:9092"},
		{"PLAINTEXT://:9092", ":9092"},
		{"plaintext://localhost:0", "localhost:0"},
		{"PLAINTEXT://[::1]:9093", "[::1]:9093"},
		{"SSL://:9093, PLAINTEXT://0.0.0.0:9094", "0.0.0.0:9094"},
	}
	for _, tt := range tests {
		b := Defaults()
		if err := b.Set("listeners", tt.listeners); err != nil {
			t.Fatal(err)
		}
		addr, err := b.ListenAddr()
		if err != nil || addr != tt.addr {
			t.Errorf("%q: ListenAddr() = %q, %v; want %q", tt.listeners, addr, err, tt.addr)
		}
	}
}

// The apache/kafka image's default environment: two PLAINTEXT listeners
// and a controller listener.
func TestServedListenersImageDefaults(t *testing.T) {
	b := Defaults()
	err := b.ApplyEnv([]string{
		"KAFKA_LISTENER_SECURITY_PROTOCOL_MAP=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT",
		"KAFKA_LISTENERS=PLAINTEXT://localhost:29092,CONTROLLER://localhost:29093,PLAINTEXT_HOST://0.0.0.0:9092",
		"KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://localhost:29092,PLAINTEXT_HOST://localhost:9092",
		"KAFKA_CONTROLLER_LISTENER_NAMES=CONTROLLER",
		"KAFKA_PROCESS_ROLES=broker,controller",
		"KAFKA_NODE_ID=1",
		"KAFKA_CONTROLLER_QUORUM_VOTERS=1@localhost:29093",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	served, err := b.ServedListeners()
	if err != nil {
		t.Fatal(err)
	}
	want := []Listener{
		{Name: "PLAINTEXT", Protocol: "PLAINTEXT", Host: "localhost", Port: 29092},
		{Name: "PLAINTEXT_HOST", Protocol: "PLAINTEXT", Host: "0.0.0.0", Port: 9092},
	}
	if !reflect.DeepEqual(served, want) {
		t.Fatalf("served %+v", served)
	}
	adv, err := b.AdvertisedEndpoints()
	if err != nil {
		t.Fatal(err)
	}
	wantAdv := []Listener{
		{Name: "PLAINTEXT", Protocol: "PLAINTEXT", Host: "localhost", Port: 29092},
		{Name: "PLAINTEXT_HOST", Protocol: "PLAINTEXT", Host: "localhost", Port: 9092},
	}
	if !reflect.DeepEqual(adv, wantAdv) {
		t.Fatalf("advertised %+v", adv)
	}
	all, err := b.ListenerEndpoints()
	if err != nil || len(all) != 3 || all[1] != (Listener{Name: "CONTROLLER", Protocol: "PLAINTEXT", Host: "localhost", Port: 29093}) {
		t.Fatalf("all %+v, %v", all, err)
	}
}

func TestControllerListenerWithoutMapping(t *testing.T) {
	b := Defaults()
	_ = b.Set("listeners", "PLAINTEXT://:9092,CONTROLLER://:9093")
	_ = b.Set("controller.listener.names", "CONTROLLER")
	served, err := b.ServedListeners()
	if err != nil || len(served) != 1 || served[0].Addr() != ":9092" {
		t.Fatalf("served %+v, %v", served, err)
	}
	adv, err := b.AdvertisedEndpoints()
	if err != nil || len(adv) != 1 || adv[0].Name != "PLAINTEXT" {
		t.Fatalf("advertised %+v, %v", adv, err)
	}
}

func TestListenerErrors(t *testing.T) {
	tests := []struct{ listeners, advertised, msg string }{
		{"FOO://:1", "", "Invalid value FOO://:1 for configuration listeners: No security protocol defined for listener FOO"},
		{"PLAINTEXT://host", "", "Invalid value PLAINTEXT://host for configuration listeners: Unable to parse PLAINTEXT://host to a broker endpoint"},
		{"PLAINTEXT://host:70000", "", "Invalid value PLAINTEXT://host:70000 for configuration listeners: Invalid port 70000 in PLAINTEXT://host:70000"},
		{"PLAINTEXT://:1,PLAINTEXT://:2", "", "Invalid value PLAINTEXT://:1,PLAINTEXT://:2 for configuration listeners: Each listener must have a different name"},
		{"PLAINTEXT://:1,SSL://:1", "", "Invalid value PLAINTEXT://:1,SSL://:1 for configuration listeners: Each listener must have a different port"},
		{"PLAINTEXT://:9092", "PLAINTEXT://0.0.0.0:9092", "Invalid value PLAINTEXT://0.0.0.0:9092 for configuration advertised.listeners: advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address."},
		{"PLAINTEXT://:9092", "SSL://h:9093", "Invalid value SSL://h:9093 for configuration advertised.listeners: advertised.listeners listener names must be equal to or a subset of the ones defined in listeners"},
	}
	for _, tt := range tests {
		b := Defaults()
		b.Listeners, b.AdvertisedListeners = tt.listeners, tt.advertised
		err := b.Validate()
		var ce *Error
		if !errors.As(err, &ce) || ce.Msg != tt.msg {
			t.Errorf("%q/%q: err %v\nwant %s", tt.listeners, tt.advertised, err, tt.msg)
		}
	}
}
