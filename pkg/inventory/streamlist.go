package inventory

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	goruntime "runtime"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// A list of 100,000 pods is about 100 MB of protobuf. client-go's typed List
// reads the whole response into one buffer that it grows by copying, copies
// it again into a runtime.Unknown, then decodes every item into a slice it
// grows by copying 1.2 KB pods. Those copies cannot be preempted, so the
// garbage collector also spins waiting for them: together about half the
// client's CPU for the list. streamList reads the same response item by
// item instead and decodes the items on every core.

// protoMessage is a generated Kubernetes API type (*corev1.Pod, ...).
type protoMessage[T any] interface {
	*T
	Unmarshal([]byte) error
}

// protobufMagic starts every Kubernetes protobuf response
// (k8s.io/apimachinery/pkg/runtime/serializer/protobuf).
var protobufMagic = []byte{0x6b, 0x38, 0x73, 0x00}

// streamBatch is how many items one decoding job takes.
const streamBatch = 256

// listPage lists one page of a kind in runs: streamed (streamList) when
// the typed client talks to a server through rc, else through the typed
// List (a fake clientset), whose items are one run. items reads a list's
// items and continue token.
func listPage[T any, PT protoMessage[T], L any, PL interface {
	*L
	runtime.Object
}](ctx context.Context, rc rest.Interface, resource, namespace string, lo metav1.ListOptions, progress func(int),
	list func(context.Context, metav1.ListOptions) (PL, error), items func(PL) ([]T, string)) ([][]T, string, error) {
	if r := restClientOf(rc); r != nil {
		return streamList[T, PT](ctx, r, resource, namespace, lo, progress, decodeJSONList[L, PL](items))
	}
	l, err := list(ctx, lo)
	if err != nil {
		return nil, "", err
	}
	its, cont := items(l)
	progress(len(its))
	return [][]T{its}, cont, nil
}

// restClientOf returns the REST client behind a typed client, or nil for a
// fake clientset, whose lists then go through the typed List.
func restClientOf(c rest.Interface) *rest.RESTClient {
	rc, ok := c.(*rest.RESTClient)
	if !ok || rc == nil || rc.Client == nil {
		return nil
	}
	return rc
}

// streamList performs one list request (one page) of resource in namespace
// ("" for all, or for a cluster-scoped resource) and returns its items, in
// runs, and the continue token; progress is told of each batch of items as
// it is decoded. The response is read as protobuf, item by item; a
// server that answers in JSON is decoded whole, as client-go would.
func streamList[T any, PT protoMessage[T]](ctx context.Context, rc *rest.RESTClient, resource, namespace string, lo metav1.ListOptions, progress func(int), decodeJSON func([]byte) ([]T, string, error)) ([][]T, string, error) {
	body, err := rc.Get().
		NamespaceIfScoped(namespace, namespace != "").
		Resource(resource).
		VersionedParams(&lo, scheme.ParameterCodec).
		SetHeader("Accept", "application/vnd.kubernetes.protobuf, application/json").
		Stream(ctx)
	if err != nil {
		return nil, "", err
	}
	defer body.Close()
	return decodeListStream[T, PT](bufio.NewReaderSize(body, 256<<10), progress, decodeJSON)
}

// decodeListStream decodes a list response: the protobuf envelope
// (protobufMagic, then a runtime.Unknown whose raw field holds the List),
// or anything else through decodeJSON.
func decodeListStream[T any, PT protoMessage[T]](r *bufio.Reader, progress func(int), decodeJSON func([]byte) ([]T, string, error)) ([][]T, string, error) {
	head, err := r.Peek(len(protobufMagic))
	if err != nil || !bytes.Equal(head, protobufMagic) {
		all, rerr := io.ReadAll(r)
		if rerr != nil {
			return nil, "", rerr
		}
		items, cont, err := decodeJSON(all)
		if err == nil {
			progress(len(items))
		}
		return [][]T{items}, cont, err
	}
	if _, err := r.Discard(len(protobufMagic)); err != nil {
		return nil, "", err
	}
	pr := &protoReader{r: r}
	// runtime.Unknown: 1 typeMeta, 2 raw (the List), 3 contentEncoding,
	// 4 contentType.
	var items [][]T
	var cont string
	found := false
	for {
		field, wire, err := pr.tag()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", err
		}
		if field == 2 && wire == wireBytes {
			n, err := pr.varint()
			if err != nil {
				return nil, "", err
			}
			if items, cont, err = decodeListBody[T, PT](&protoReader{r: &limitedReader{r: r, n: int64(n)}}, progress); err != nil {
				return nil, "", err
			}
			found = true
			continue
		}
		if field == 3 && wire == wireBytes {
			enc, err := pr.bytes()
			if err != nil {
				return nil, "", err
			}
			if len(enc) > 0 {
				return nil, "", fmt.Errorf("decoding the list: unsupported content encoding %q", enc)
			}
			continue
		}
		if err := pr.skip(wire); err != nil {
			return nil, "", err
		}
	}
	if !found {
		return nil, "", errors.New("decoding the list: the protobuf response holds no list")
	}
	return items, cont, nil
}

// decodeListBody decodes a List message (1 metadata, 2 items) and returns
// its items in order, in runs, and its continue token. Items are decoded streamBatch
// at a time, on every core.
func decodeListBody[T any, PT protoMessage[T]](pr *protoReader, progress func(int)) ([][]T, string, error) {
	type job struct {
		raw [][]byte
		out []T
		err error
	}
	var (
		jobs    []*job
		batch   [][]byte
		meta    metav1.ListMeta
		wg      sync.WaitGroup
		workers = make(chan struct{}, goruntime.GOMAXPROCS(0))
	)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		j := &job{raw: batch}
		jobs = append(jobs, j)
		batch = nil
		workers <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-workers; wg.Done() }()
			j.out = make([]T, len(j.raw))
			for i, b := range j.raw {
				if err := PT(&j.out[i]).Unmarshal(b); err != nil {
					j.err = err
					return
				}
			}
			j.raw = nil
			progress(len(j.out))
		}()
	}
	var readErr error
	for readErr == nil {
		field, wire, err := pr.tag()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		switch {
		case field == 1 && wire == wireBytes:
			b, err := pr.bytes()
			if err == nil {
				err = meta.Unmarshal(b)
			}
			readErr = err
		case field == 2 && wire == wireBytes:
			b, err := pr.bytes()
			if err != nil {
				readErr = err
				break
			}
			batch = append(batch, b)
			if len(batch) == streamBatch {
				flush()
			}
		default:
			readErr = pr.skip(wire)
		}
	}
	flush()
	wg.Wait()
	if readErr != nil {
		return nil, "", fmt.Errorf("decoding the list: %w", readErr)
	}
	outs := make([][]T, len(jobs))
	for i, j := range jobs {
		if j.err != nil {
			return nil, "", fmt.Errorf("decoding the list: items[%d..]: %w", i*streamBatch, j.err)
		}
		outs[i] = j.out
	}
	return outs, meta.Continue, nil
}

// decodeJSONList decodes a whole list response that is not protobuf (a
// server or proxy that answers JSON) with client-go's decoder.
func decodeJSONList[L any, PL interface {
	*L
	runtime.Object
}, T any](items func(PL) ([]T, string)) func([]byte) ([]T, string, error) {
	return func(data []byte) ([]T, string, error) {
		var l L
		if _, _, err := scheme.Codecs.UniversalDeserializer().Decode(data, nil, PL(&l)); err != nil {
			return nil, "", fmt.Errorf("decoding the list: %w", err)
		}
		list, cont := items(PL(&l))
		return list, cont, nil
	}
}

// Protobuf wire types used by Kubernetes messages.
const (
	wireVarint = 0
	wireI64    = 1
	wireBytes  = 2
	wireI32    = 5
)

// byteReader is a buffered stream.
type byteReader interface {
	io.Reader
	io.ByteReader
}

// protoReader reads protobuf fields from a stream; io.EOF at a field
// boundary ends the message.
type protoReader struct {
	r byteReader
}

func (p *protoReader) readByte() (byte, error) { return p.r.ReadByte() }

// limitedReader is the first n bytes of a buffered stream: an embedded
// message.
type limitedReader struct {
	r *bufio.Reader
	n int64
}

func (l *limitedReader) Read(b []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > l.n {
		b = b[:l.n]
	}
	n, err := l.r.Read(b)
	l.n -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // the message said it was longer
	}
	return n, err
}

func (l *limitedReader) ReadByte() (byte, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	b, err := l.r.ReadByte()
	if err == nil {
		l.n--
	} else if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return b, err
}

func (p *protoReader) varint() (uint64, error) {
	var x uint64
	for shift := uint(0); shift < 64; shift += 7 {
		b, err := p.readByte()
		if err != nil {
			if err == io.EOF && shift > 0 {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		x |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return x, nil
		}
	}
	return 0, errors.New("protobuf varint overflows 64 bits")
}

// tag reads a field's key; io.EOF means the message ended cleanly.
func (p *protoReader) tag() (field int, wire int, err error) {
	k, err := p.varint()
	if err != nil {
		return 0, 0, err
	}
	return int(k >> 3), int(k & 7), nil
}

// maxField bounds one length-delimited field (an item or the list
// metadata): larger means a corrupt stream, not an object.
const maxField = 64 << 20

func (p *protoReader) bytes() ([]byte, error) {
	n, err := p.varint()
	if err != nil {
		return nil, noEOF(err)
	}
	if n > maxField {
		return nil, fmt.Errorf("protobuf field of %d bytes", n)
	}
	b := make([]byte, n)
	_, err = io.ReadFull(p.r, b)
	return b, noEOF(err)
}

func (p *protoReader) skip(wire int) error {
	var n uint64
	switch wire {
	case wireVarint:
		_, err := p.varint()
		return noEOF(err)
	case wireI64:
		n = 8
	case wireI32:
		n = 4
	case wireBytes:
		var err error
		if n, err = p.varint(); err != nil {
			return noEOF(err)
		}
	default:
		return fmt.Errorf("protobuf wire type %d", wire)
	}
	_, err := io.CopyN(io.Discard, p.r, int64(n))
	return noEOF(err)
}

// noEOF: inside a field, the end of the stream is a truncated message.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
