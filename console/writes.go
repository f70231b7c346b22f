package console

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Every write is a POST carrying the CSRF token (checked in wrap), and
// answers with a redirect (303) to the page that shows its effect, so a
// reload does not repeat it.

func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func topicPath(name string) string { return "/topics/" + url.PathEscape(name) }

func groupPath(name string) string { return "/groups/" + url.PathEscape(name) }

// parseLines reads "name=value" lines (blank lines skipped).
func parseLines(text, what string) ([][2]string, error) {
	var out [][2]string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, badRequest("%s: %q is not name=value", what, line)
		}
		out = append(out, [2]string{strings.TrimSpace(k), v})
	}
	return out, nil
}

type produceData struct {
	Topic      string
	Partitions []int32
}

func (s *Server) produceForm(w http.ResponseWriter, r *http.Request) error {
	t, err := s.topicMeta(r.Context(), r.PathValue("topic"))
	if err != nil {
		return err
	}
	d := produceData{Topic: t.Topic}
	for _, p := range t.Partitions.Sorted() {
		d.Partitions = append(d.Partitions, p.Partition)
	}
	return s.render(w, r, http.StatusOK, "produce.html", t.Topic+": produce", "topics", d)
}

// produce sends one record. With no partition chosen, a keyed record goes
// where Kafka's default partitioner puts it (murmur2 of the key), a
// record without key to a random partition.
func (s *Server) produce(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := s.topicMeta(ctx, r.PathValue("topic"))
	if err != nil {
		return err
	}
	f := r.PostForm
	rec := &kgo.Record{Topic: t.Topic, Value: []byte(f.Get("value"))}
	if f.Get("key") != "" {
		rec.Key = []byte(f.Get("key"))
	}
	hs, err := parseLines(f.Get("headers"), "headers")
	if err != nil {
		return err
	}
	for _, h := range hs {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: h[0], Value: []byte(h[1])})
	}
	n := int32(len(t.Partitions))
	if n == 0 {
		return fmt.Errorf("topic %q has no partitions", t.Topic)
	}
	switch ps := f.Get("partition"); {
	case ps != "":
		p, err := strconv.ParseInt(ps, 10, 32)
		if err != nil || p < 0 || int32(p) >= n {
			return badRequest("partition must be between 0 and %d, not %q", n-1, ps)
		}
		rec.Partition = int32(p)
	case rec.Key != nil:
		rec.Partition = int32((murmur2(rec.Key) & 0x7fffffff) % uint32(n))
	default:
		rec.Partition = rand.Int32N(n)
	}
	res := s.cl.ProduceSync(ctx, rec)
	if err := res.FirstErr(); err != nil {
		return err
	}
	return redirect(w, r, topicPath(t.Topic)+"/messages"+string(queryString("partition", strconv.Itoa(int(rec.Partition)),
		"mode", "offset", "offset", strconv.FormatInt(rec.Offset, 10), "n", "1", "done", "produced")))
}

// murmur2 is Kafka's Utils.murmur2, which its default partitioner takes
// modulo the partition count after clearing the sign bit.
func murmur2(data []byte) uint32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		rr   = 24
	)
	n := len(data)
	h := uint32(seed) ^ uint32(n)
	for i := 0; i+4 <= n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> rr
		k *= m
		h *= m
		h ^= k
	}
	tail := data[n&^3:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

func (s *Server) createTopicForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "create.html", "Create topic", "topics", nil)
}

func (s *Server) createTopic(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	name := strings.TrimSpace(f.Get("name"))
	if name == "" {
		return badRequest("a topic needs a name")
	}
	parts, rf := int64(-1), int64(-1)
	var err error
	if v := f.Get("partitions"); v != "" {
		if parts, err = strconv.ParseInt(v, 10, 32); err != nil {
			return badRequest("partitions: %q is not a number", v)
		}
	}
	if v := f.Get("replication"); v != "" {
		if rf, err = strconv.ParseInt(v, 10, 16); err != nil {
			return badRequest("replication factor: %q is not a number", v)
		}
	}
	lines, err := parseLines(f.Get("configs"), "configs")
	if err != nil {
		return err
	}
	configs := map[string]*string{}
	for _, l := range lines {
		v := l[1]
		configs[l[0]] = &v
	}
	resp, err := s.adm.CreateTopic(r.Context(), int32(parts), int16(rf), configs, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return kafkaRefused(err)
	}
	return redirect(w, r, topicPath(name)+"?done=created")
}

// kafkaRefused turns an error the cluster answered with into a 400 page
// (a request it refused), keeping transport errors as they are.
func kafkaRefused(err error) error {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		msg := errText(err)
		var rerr *kadm.ErrAndMessage
		if errors.As(err, &rerr) && rerr.ErrMessage != "" {
			msg += " (" + rerr.ErrMessage + ")"
		}
		return &httpError{http.StatusBadRequest, "the cluster refused: " + msg}
	}
	return err
}

func (s *Server) alterConfigs(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, err := s.topicMeta(ctx, r.PathValue("topic"))
	if err != nil {
		return err
	}
	f := r.PostForm
	key := strings.TrimSpace(f.Get("name"))
	if key == "" {
		return badRequest("which config? name is empty")
	}
	ac := kadm.AlterConfig{Name: key}
	switch f.Get("op") {
	case "set", "":
		v := f.Get("value")
		ac.Op, ac.Value = kadm.SetConfig, &v
	case "delete":
		ac.Op = kadm.DeleteConfig
	default:
		return badRequest("op must be set or delete")
	}
	resps, err := s.adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{ac}, t.Topic)
	if err == nil && len(resps) == 1 {
		err = resps[0].Err
		if err != nil && resps[0].ErrMessage != "" {
			err = fmt.Errorf("%w (%s)", err, resps[0].ErrMessage)
		}
	}
	if err != nil {
		return kafkaRefused(err)
	}
	return redirect(w, r, topicPath(t.Topic)+"?done=altered#configs")
}

type confirmData struct {
	Title   string
	Action  string // the POST target
	Text    string
	Confirm string // a name to type, "" when a click is enough
	Button  string
	Back    string
}

func (s *Server) deleteTopicForm(w http.ResponseWriter, r *http.Request) error {
	t, err := s.topicMeta(r.Context(), r.PathValue("topic"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "confirm.html", "Delete topic", "topics", confirmData{
		Title: "Delete topic " + t.Topic, Action: topicPath(t.Topic) + "/delete",
		Text:    fmt.Sprintf("Deleting topic %s removes its %d partitions and every record in them. It cannot be undone.", t.Topic, len(t.Partitions)),
		Confirm: t.Topic, Button: "Delete topic", Back: topicPath(t.Topic)})
}

func (s *Server) deleteTopic(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("topic")
	if r.PostForm.Get("confirm") != name {
		return badRequest("type the topic's name to confirm: nothing was deleted")
	}
	resp, err := s.adm.DeleteTopic(r.Context(), name)
	if err == nil {
		err = resp.Err
	}
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		return notFound("no topic %q", name)
	}
	if err != nil {
		return kafkaRefused(err)
	}
	return redirect(w, r, "/topics?done=deleted")
}

func (s *Server) partitionOf(ctx context.Context, r *http.Request) (kadm.TopicDetail, int32, error) {
	t, err := s.topicMeta(ctx, r.PathValue("topic"))
	if err != nil {
		return t, 0, err
	}
	p, err := strconv.ParseInt(r.PathValue("partition"), 10, 32)
	if _, ok := t.Partitions[int32(p)]; err != nil || !ok {
		return t, 0, notFound("no partition %s in topic %q", r.PathValue("partition"), t.Topic)
	}
	return t, int32(p), nil
}

func (s *Server) purgeForm(w http.ResponseWriter, r *http.Request) error {
	t, p, err := s.partitionOf(r.Context(), r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "confirm.html", "Purge partition", "topics", confirmData{
		Title:  fmt.Sprintf("Purge partition %d of %s", p, t.Topic),
		Action: fmt.Sprintf("%s/partitions/%d/purge", topicPath(t.Topic), p),
		Text:   fmt.Sprintf("Purging moves the log start offset of partition %d to its end offset (DeleteRecords): every record in it now is deleted. It cannot be undone.", p),
		Button: "Purge partition", Back: topicPath(t.Topic)})
}

func (s *Server) purge(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	t, p, err := s.partitionOf(ctx, r)
	if err != nil {
		return err
	}
	ends, err := s.adm.ListEndOffsets(ctx, t.Topic)
	if err != nil {
		return err
	}
	en, ok := ends.Lookup(t.Topic, p)
	if !ok || en.Err != nil {
		return fmt.Errorf("end offset of partition %d: %v", p, en.Err)
	}
	os := kadm.Offsets{}
	os.AddOffset(t.Topic, p, en.Offset, -1)
	resps, err := s.adm.DeleteRecords(ctx, os)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		return kafkaRefused(err)
	}
	return redirect(w, r, topicPath(t.Topic)+"?done=purged")
}

func (s *Server) deleteGroupForm(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("group")
	if _, _, err := s.describeGroup(r.Context(), name); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "confirm.html", "Delete group", "groups", confirmData{
		Title: "Delete group " + name, Action: groupPath(name) + "/delete",
		Text:   "Deleting the group removes its committed offsets. Only a group without members (Empty) can be deleted.",
		Button: "Delete group", Back: groupPath(name)})
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("group")
	resp, err := s.adm.DeleteGroup(r.Context(), name)
	if err == nil {
		err = resp.Err
	}
	switch {
	case errors.Is(err, kerr.GroupIDNotFound):
		return notFound("no group %q", name)
	case errors.Is(err, kerr.NonEmptyGroup):
		return &httpError{http.StatusConflict, fmt.Sprintf("group %s has members: stop its consumers first (nothing was deleted)", name)}
	case err != nil:
		return kafkaRefused(err)
	}
	return redirect(w, r, "/groups?done=group-deleted")
}
