// The HTML report's map: one cytoscape graph per section, drawn from the
// JSON the report embeds. Nothing here fetches anything.
(function () {
  'use strict';
  // Test hooks: the browser test reads window.netaudit.
  var state = { ready: false, errors: [], sections: [] };
  window.netaudit = state;
  window.addEventListener('error', function (e) { state.errors.push(String(e.message)); });

  if (typeof cytoscape === 'function' && typeof cytoscapeFcose === 'function') {
    cytoscape.use(cytoscapeFcose);
  }

  var severityColour = { high: '#c62828', medium: '#ef6c00', low: '#f9a825', info: '#1565c0' };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // elements returns the cytoscape elements of one view. view is
  // "namespaces" or "nodes"; ns, when set, keeps that namespace's nodes and
  // the nodes they exchange traffic with.
  function elements(m, view, ns) {
    var out = [];
    var outsideUsed = false;
    if (view === 'namespaces') {
      m.namespaces.forEach(function (n) {
        out.push({ group: 'nodes', data: {
          id: 'ns:' + n.name, label: n.name + '\n' + n.workloads + ' ' + m.level + 's, ' + n.pods + ' pods',
          kind: 'namespace', ref: n.name, unprotected: n.unprotected ? 1 : 0,
          colour: severityColour[n.severity] || '#546e7a' } });
      });
      m.namespaceEdges.forEach(function (e, i) {
        if (e.from === '*' || e.to === '*') { outsideUsed = true; }
        out.push({ group: 'edges', data: {
          id: 'nse:' + i, source: e.from === '*' ? 'outside' : 'ns:' + e.from,
          target: e.to === '*' ? 'outside' : 'ns:' + e.to, kind: 'namespace', index: i,
          ports: e.ports, label: e.pairs + ' pairs', effect: e.effect || '' } });
      });
    } else {
      // Nodes are keyed by their index in m.nodes; -1 is the outside world.
      var keep = null;
      if (ns) {
        keep = {};
        m.nodes.forEach(function (n, i) { if (n.namespace === ns) { keep[i] = true; } });
        m.edges.forEach(function (e) {
          if (keep[e.from] === true || keep[e.to] === true) {
            if (!keep[e.from]) { keep[e.from] = 'neighbour'; }
            if (!keep[e.to]) { keep[e.to] = 'neighbour'; }
          }
        });
      }
      var groups = {};
      m.nodes.forEach(function (n, i) {
        if (keep && !keep[i]) { return; }
        groups[n.namespace] = true;
        out.push({ group: 'nodes', data: {
          id: 'n:' + i, parent: 'ns:' + n.namespace, label: n.label, kind: 'node', ref: n.id, index: i,
          colour: severityColour[n.severity] || '#2e7d32', marked: n.severity ? 1 : 0 } });
      });
      m.namespaces.forEach(function (n) {
        if (!groups[n.name] && (keep || n.workloads > 0)) { return; }
        out.push({ group: 'nodes', data: {
          id: 'ns:' + n.name, label: n.name + (n.unprotected ? ' (unprotected)' : ''), kind: 'group', ref: n.name,
          unprotected: n.unprotected ? 1 : 0, colour: severityColour[n.severity] || '#90a4ae' } });
      });
      m.edges.forEach(function (e, i) {
        if (keep && !(keep[e.from] && keep[e.to])) { return; }
        if (e.from < 0 || e.to < 0) { outsideUsed = true; }
        out.push({ group: 'edges', data: {
          id: 'e:' + i, source: e.from < 0 ? 'outside' : 'n:' + e.from,
          target: e.to < 0 ? 'outside' : 'n:' + e.to, kind: 'node', index: i, ports: e.ports, effect: e.effect || '' } });
      });
    }
    if (outsideUsed) {
      var shown = m.outside.slice(0, 4).join('\n') + (m.outside.length > 4 ? '\n+' + (m.outside.length - 4) + ' more' : '');
      out.push({ group: 'nodes', data: { id: 'outside', label: 'outside the cluster\n' + shown, kind: 'outside', ref: 'outside' } });
    }
    return out;
  }

  var style = [
    { selector: 'node', style: {
      'label': 'data(label)', 'text-wrap': 'wrap', 'font-size': 11, 'text-valign': 'bottom', 'text-margin-y': 4,
      'background-color': 'data(colour)', 'width': 22, 'height': 22, 'color': '#263238' } },
    { selector: 'node[marked = 1]', style: { 'border-width': 3, 'border-color': '#263238', 'shape': 'diamond', 'width': 28, 'height': 28 } },
    { selector: 'node[kind = "group"]', style: {
      'background-color': '#eceff1', 'background-opacity': 0.7, 'border-width': 1, 'border-color': '#90a4ae',
      'text-valign': 'top', 'text-margin-y': -4, 'font-weight': 'bold', 'shape': 'round-rectangle', 'padding': 12 } },
    { selector: 'node[kind = "namespace"]', style: { 'shape': 'round-rectangle', 'width': 34, 'height': 34 } },
    { selector: 'node[unprotected = 1]', style: { 'border-width': 3, 'border-style': 'dashed', 'border-color': '#c62828' } },
    { selector: 'node[kind = "outside"]', style: {
      'shape': 'hexagon', 'background-color': '#37474f', 'width': 40, 'height': 40, 'font-size': 10 } },
    { selector: 'edge', style: {
      'width': 1.5, 'line-color': '#78909c', 'target-arrow-color': '#78909c', 'target-arrow-shape': 'triangle',
      'curve-style': 'bezier', 'arrow-scale': 0.8 } },
    { selector: 'edge[effect = "opened"]', style: { 'line-color': '#c62828', 'target-arrow-color': '#c62828', 'width': 2.5 } },
    { selector: 'edge[effect = "closed"]', style: { 'line-style': 'dashed', 'line-color': '#1565c0', 'target-arrow-color': '#1565c0' } },
    { selector: 'edge.hover', style: { 'label': 'data(ports)', 'font-size': 10, 'text-background-color': '#fff',
      'text-background-opacity': 0.9, 'width': 3 } },
    { selector: 'edge:selected', style: { 'line-color': '#1565c0', 'target-arrow-color': '#1565c0', 'width': 4 } },
    { selector: '.match', style: { 'border-width': 4, 'border-color': '#6a1b9a', 'border-style': 'solid' } },
    { selector: '.faded', style: { 'opacity': 0.15 } }
  ];

  // layout places the graph. Past 100 nodes or 500 edges fcose runs its
  // spectral draft only: the force-directed pass costs seconds there.
  function layout(cy, big) {
    var name = typeof cytoscapeFcose === 'function' ? 'fcose' : 'cose';
    return cy.layout({ name: name, animate: false, randomize: true, quality: big ? 'draft' : 'default',
      nodeDimensionsIncludeLabels: true, idealEdgeLength: 90, nodeRepulsion: 9000, packComponents: true, fit: true, padding: 20 });
  }

  function showEdge(panel, m, d) {
    panel.textContent = '';
    if (d.kind === 'namespace') {
      var ne = m.namespaceEdges[d.index];
      var nsName = function (n) { return n === '*' ? 'outside the cluster' : n; };
      panel.appendChild(el('h4', '', nsName(ne.from) + ' \u2192 ' + nsName(ne.to)));
      panel.appendChild(el('p', '', ne.pairs + ' ' + m.level + ' pairs may talk, on ' + ne.ports + '.'));
      ne.examples.forEach(function (k) { edgeDetail(panel, m, m.edges[k]); });
      if (ne.pairs > ne.examples.length) {
        panel.appendChild(el('p', 'hint', 'Pick ' + (ne.from === '*' ? ne.to : ne.from) + ' in the namespace list to see every pair.'));
      }
    } else {
      edgeDetail(panel, m, m.edges[d.index]);
    }
    panel.scrollTop = 0;
  }

  // endName names an edge end: a node's reference, or the outside world.
  function endName(m, i) { return i < 0 ? 'outside the cluster' : m.nodes[i].id; }

  // command is the explain command that gives an edge's explanation.
  function command(m, e) {
    if (!e.probe) { return ''; }
    var ref = function (i) { return i < 0 ? e.address : m.nodes[i].id; };
    return 'kubectl netaudit explain --from ' + ref(e.from) + ' --to ' + ref(e.to) + ' --port ' + e.probe;
  }

  function edgeDetail(panel, m, e) {
    var box = el('div', 'edge-detail');
    box.appendChild(el('h4', '', endName(m, e.from) + ' \u2192 ' + endName(m, e.to)));
    box.appendChild(el('p', '', 'Allowed on ' + e.ports + (e.cidrs ? ' (addresses ' + e.cidrs.join(', ') + ')' : '')));
    var cmd = command(m, e);
    if (e.explain >= 0) {
      box.appendChild(el('p', 'hint', 'Why, on the first of these ports (' + cmd + '):'));
      box.appendChild(el('pre', 'explanation', m.explanations[e.explain]));
    } else if (cmd) {
      box.appendChild(el('p', 'hint', 'Not embedded in this report; for the reasons run:'));
      box.appendChild(el('pre', 'command', cmd));
    }
    panel.appendChild(box);
  }

  function showNode(panel, m, d) {
    panel.textContent = '';
    var findings = [];
    if (d.kind === 'node') {
      var n = m.nodes[d.index];
      panel.appendChild(el('h4', '', n.id));
      panel.appendChild(el('p', '', n.pods + ' pod' + (n.pods === 1 ? '' : 's') + (n.hostNetwork ? ', host network' : '')));
      findings = n.findings || [];
    } else if (d.kind === 'outside') {
      panel.appendChild(el('h4', '', 'Outside the cluster'));
      panel.appendChild(el('pre', '', m.outside.join('\n')));
    } else {
      var ns = m.namespaces.filter(function (x) { return x.name === d.ref; })[0];
      panel.appendChild(el('h4', '', 'namespace ' + ns.name + (ns.unprotected ? ' (unprotected)' : '')));
      panel.appendChild(el('p', '', ns.workloads + ' ' + m.level + 's, ' + ns.pods + ' pods, ' + ns.policies +
        ' NetworkPolicies; ' + ns.internal + ' ' + m.level + ' pairs inside may talk.'));
      findings = ns.findings || [];
    }
    if (findings.length) {
      var ul = el('ul', 'findings');
      findings.forEach(function (f) { ul.appendChild(el('li', '', f)); });
      panel.appendChild(ul);
    }
  }

  function init(section, index) {
    var dataEl = section.querySelector('script.map-data');
    if (!dataEl) { return; }
    var m = JSON.parse(dataEl.textContent);
    var container = section.querySelector('.graph');
    var panel = section.querySelector('.panel');
    var select = section.querySelector('.ns-filter');
    var search = section.querySelector('.search');
    var toggle = section.querySelector('.view-toggle');
    var info = { nodes: 0, edges: 0, view: '', layoutMs: 0 };
    state.sections[index] = info;
    m.namespaces.forEach(function (n) {
      var o = el('option', '', n.name + (n.unprotected ? ' (unprotected)' : ''));
      o.value = n.name;
      select.appendChild(o);
    });
    var view = m.collapsed ? 'namespaces' : 'nodes';
    var cy = cytoscape({ container: container, style: style, wheelSensitivity: 0.3, minZoom: 0.05, maxZoom: 4,
      hideEdgesOnViewport: m.edges.length > 1000, textureOnViewport: m.edges.length > 1000 });
    info.cy = cy;
    var tip = el('div', 'tip');
    container.appendChild(tip);

    function draw() {
      var ns = select.value;
      var v = ns ? 'nodes' : view;
      var t0 = performance.now();
      cy.elements().remove();
      cy.add(elements(m, v, ns));
      var big = cy.nodes().length > 100 || cy.edges().length > 500;
      // Straight edges draw much faster than curves when there are many.
      cy.style().selector('edge').style('curve-style', cy.edges().length > 1000 ? 'straight' : 'bezier').update();
      layout(cy, big).run();
      info.nodes = cy.nodes().filter(function (n) { return n.data('kind') !== 'group'; }).length;
      info.edges = cy.edges().length;
      info.view = v;
      info.layoutMs = Math.round(performance.now() - t0);
      toggle.textContent = view === 'namespaces' ? 'Show ' + m.level + 's' : 'Show namespaces only';
      toggle.disabled = !!ns;
      if (search.value) { find(); }
    }

    function find() {
      var q = search.value.trim().toLowerCase();
      cy.elements().removeClass('match faded');
      if (!q) { return; }
      var hits = m.nodes.filter(function (n) { return n.id.toLowerCase().indexOf(q) >= 0; });
      var ids = {};
      m.nodes.forEach(function (n, i) {
        if (n.id.toLowerCase().indexOf(q) >= 0) { ids['n:' + i] = true; ids['ns:' + n.namespace] = true; }
      });
      var matched = cy.nodes().filter(function (n) { return ids[n.id()] && (n.data('kind') !== 'group' || cy.nodes('[kind = "node"]').length === 0); });
      cy.elements().addClass('faded');
      matched.removeClass('faded').addClass('match');
      matched.parents().removeClass('faded');
      matched.connectedEdges().removeClass('faded');
      panel.textContent = '';
      panel.appendChild(el('h4', '', hits.length + ' match' + (hits.length === 1 ? '' : 'es') + ' for \u201c' + search.value + '\u201d'));
      var ul = el('ul', 'matches');
      hits.slice(0, 50).forEach(function (n) { ul.appendChild(el('li', '', n.id)); });
      panel.appendChild(ul);
      if (matched.length) { cy.fit(matched, 60); }
    }

    cy.on('tap', 'edge', function (e) { showEdge(panel, m, e.target.data()); });
    cy.on('tap', 'node', function (e) { showNode(panel, m, e.target.data()); });
    cy.on('mouseover', 'edge', function (e) {
      e.target.addClass('hover');
      var p = e.renderedPosition || e.target.renderedMidpoint();
      tip.textContent = e.target.data('ports');
      tip.style.left = (p.x + 12) + 'px';
      tip.style.top = (p.y + 12) + 'px';
      tip.style.display = 'block';
    });
    cy.on('mouseout', 'edge', function (e) { e.target.removeClass('hover'); tip.style.display = 'none'; });
    select.addEventListener('change', draw);
    search.addEventListener('input', find);
    toggle.addEventListener('click', function () { view = view === 'namespaces' ? 'nodes' : 'namespaces'; draw(); });
    draw();
  }

  function start() {
    try {
      var sections = document.querySelectorAll('section.report');
      for (var i = 0; i < sections.length; i++) { init(sections[i], i); }
    } catch (e) {
      state.errors.push(String(e && e.stack || e));
      throw e;
    } finally {
      state.ready = true;
      document.body.setAttribute('data-ready', '1');
    }
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
