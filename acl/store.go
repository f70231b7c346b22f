package acl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/stratabroker/strata/internal/vfs"
)

// File is the name of the bindings file in the first log dir.
const File = "acls.json"

type fileBody struct {
	Version int       `json:"version"`
	ACLs    []Binding `json:"acls"`
}

func load(fsys vfs.FS, dir string) ([]Binding, error) {
	data, err := vfs.ReadFile(fsys, filepath.Join(dir, File), 256<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("acl: %w", err)
	}
	var body fileBody
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, fmt.Errorf("acl: %s: %w", File, err)
	}
	if body.Version != 1 {
		return nil, fmt.Errorf("acl: %s: unknown version %d", File, body.Version)
	}
	for _, b := range body.ACLs {
		if err := b.Validate(); err != nil {
			return nil, fmt.Errorf("acl: %s: %w", File, err)
		}
	}
	return body.ACLs, nil
}

func save(fsys vfs.FS, dir string, all []Binding) error {
	if all == nil {
		all = []Binding{}
	}
	data, err := json.Marshal(fileBody{Version: 1, ACLs: all})
	if err != nil {
		return err
	}
	return vfs.WriteFileAtomic(fsys, dir, File, append(data, '\n'))
}
