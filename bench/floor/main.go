// Command floor is the least a Kafka broker can do for a producer: it
// reads request frames, appends each partition's record bytes to a file
// with one write, and acknowledges them with the offsets it counts. It
// answers just enough of the protocol (ApiVersions, Metadata, CreateTopics,
// InitProducerId, Produce) for kgo and librdkafka producers, validates
// nothing and keeps no index. Its CPU per GB is the floor Strata's is
// compared with.
//
//	floor -listen 127.0.0.1:9092 -dir /tmp/floor
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type partitionFile struct {
	mu   sync.Mutex
	f    *os.File
	next int64 // next offset
}

type broker struct {
	addr       string
	host       string
	port       int32
	dir        string
	partitions int32

	mu     sync.Mutex
	topics map[string]int32
	files  map[string]*partitionFile
	pid    int64
}

func main() {
	listen := flag.String("listen", "127.0.0.1:9092", "address to listen on")
	dir := flag.String("dir", "floor-data", "directory for the partition files")
	partitions := flag.Int("num-partitions", 1, "partitions of topics created implicitly")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	ta := ln.Addr().(*net.TCPAddr)
	b := &broker{addr: ta.String(), host: ta.IP.String(), port: int32(ta.Port), dir: *dir,
		partitions: int32(*partitions), topics: map[string]int32{}, files: map[string]*partitionFile{}}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		ln.Close()
	}()
	fmt.Println("ready", b.addr)
	for {
		c, err := ln.Accept()
		if err != nil {
			break
		}
		go b.serve(c)
	}
	b.mu.Lock()
	for _, pf := range b.files {
		pf.f.Close()
	}
	b.mu.Unlock()
}

func (b *broker) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	var size [4]byte
	var buf, out []byte
	for {
		if _, err := io.ReadFull(br, size[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(size[:]))
		if n < 8 || n > 100<<20 {
			return
		}
		buf = append(buf[:0], make([]byte, n)...)
		if _, err := io.ReadFull(br, buf); err != nil {
			return
		}
		out = b.handle(buf, out[:0])
		if out == nil {
			return
		}
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

// handle answers one request frame, appending the response frame to out;
// it returns out unchanged (empty) for acks=0 and nil to close.
func (b *broker) handle(frame, out []byte) []byte {
	key := int16(binary.BigEndian.Uint16(frame))
	version := int16(binary.BigEndian.Uint16(frame[2:]))
	corr := int32(binary.BigEndian.Uint32(frame[4:]))
	req := kmsg.RequestForKey(key)
	if req == nil {
		return nil
	}
	req.SetVersion(version)
	r := kbin.Reader{Src: frame[8:]}
	r.NullableString() // client ID
	if req.IsFlexible() && key != kmsg.ApiVersions.Int16() {
		kmsg.SkipTags(&r)
	}
	if key == kmsg.ApiVersions.Int16() && version >= 3 {
		kmsg.SkipTags(&r)
	}
	if err := req.ReadFrom(r.Src); err != nil {
		return nil
	}
	var resp kmsg.Response
	switch req := req.(type) {
	case *kmsg.ApiVersionsRequest:
		resp = b.apiVersions(req)
	case *kmsg.MetadataRequest:
		resp = b.metadata(req)
	case *kmsg.CreateTopicsRequest:
		resp = b.createTopics(req)
	case *kmsg.InitProducerIDRequest:
		b.mu.Lock()
		b.pid++
		id := b.pid
		b.mu.Unlock()
		r := req.ResponseKind().(*kmsg.InitProducerIDResponse)
		r.ProducerID, r.ProducerEpoch = id, 0
		resp = r
	case *kmsg.ProduceRequest:
		resp = b.produce(req)
		if req.Acks == 0 {
			return out
		}
	default:
		return nil
	}
	start := len(out)
	out = append(out, 0, 0, 0, 0)
	out = kbin.AppendInt32(out, corr)
	if resp.IsFlexible() && key != kmsg.ApiVersions.Int16() {
		out = append(out, 0)
	}
	out = resp.AppendTo(out)
	binary.BigEndian.PutUint32(out[start:], uint32(len(out)-start-4))
	return out
}

func (b *broker) apiVersions(req *kmsg.ApiVersionsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	for _, k := range []struct{ key, min, max int16 }{
		{kmsg.Produce.Int16(), 0, 11},
		{kmsg.Metadata.Int16(), 0, 12},
		{kmsg.ApiVersions.Int16(), 0, 3},
		{kmsg.CreateTopics.Int16(), 0, 7},
		{kmsg.InitProducerID.Int16(), 0, 4},
	} {
		v := kmsg.NewApiVersionsResponseApiKey()
		v.ApiKey, v.MinVersion, v.MaxVersion = k.key, k.min, k.max
		resp.ApiKeys = append(resp.ApiKeys, v)
	}
	return resp
}

func (b *broker) topicPartitions(name string, n int32) int32 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p, ok := b.topics[name]; ok {
		return p
	}
	if n <= 0 {
		n = b.partitions
	}
	b.topics[name] = n
	return n
}

func (b *broker) metadata(req *kmsg.MetadataRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	br := kmsg.NewMetadataResponseBroker()
	br.NodeID, br.Host, br.Port = 1, b.host, b.port
	resp.Brokers = append(resp.Brokers, br)
	resp.ControllerID = 1
	var names []string
	if req.Topics == nil {
		b.mu.Lock()
		for n := range b.topics {
			names = append(names, n)
		}
		b.mu.Unlock()
	}
	for _, t := range req.Topics {
		if t.Topic != nil {
			names = append(names, *t.Topic)
		}
	}
	for _, name := range names {
		mt := kmsg.NewMetadataResponseTopic()
		mt.Topic = kmsg.StringPtr(name)
		mt.TopicID[0] = 1
		for p := range b.topicPartitions(name, 0) {
			mp := kmsg.NewMetadataResponseTopicPartition()
			mp.Partition, mp.Leader, mp.Replicas, mp.ISR = p, 1, []int32{1}, []int32{1}
			mt.Partitions = append(mt.Partitions, mp)
		}
		resp.Topics = append(resp.Topics, mt)
	}
	return resp
}

func (b *broker) createTopics(req *kmsg.CreateTopicsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	for _, t := range req.Topics {
		b.topicPartitions(t.Topic, t.NumPartitions)
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = t.Topic, t.NumPartitions, 1
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func (b *broker) file(topic string, p int32) *partitionFile {
	key := fmt.Sprintf("%s-%d", topic, p)
	b.mu.Lock()
	defer b.mu.Unlock()
	pf, ok := b.files[key]
	if !ok {
		f, err := os.OpenFile(filepath.Join(b.dir, key+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil
		}
		pf = &partitionFile{f: f}
		b.files[key] = pf
	}
	return pf
}

func (b *broker) produce(req *kmsg.ProduceRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition = p.Partition
			pf := b.file(t.Topic, p.Partition)
			if pf == nil || len(p.Records) < 61 {
				rp.ErrorCode = 2 // CORRUPT_MESSAGE
			} else {
				count := int64(int32(binary.BigEndian.Uint32(p.Records[57:])))
				pf.mu.Lock()
				rp.BaseOffset = pf.next
				binary.BigEndian.PutUint64(p.Records, uint64(pf.next))
				_, err := pf.f.Write(p.Records)
				pf.next += count
				pf.mu.Unlock()
				if err != nil {
					rp.ErrorCode = 56 // KAFKA_STORAGE_ERROR
				}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
