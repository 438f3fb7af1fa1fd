/* corridors: draws planner routes on a Leaflet map from plain data.
   Inlined into every map that corridors writes; it loads nothing from the network. */
(function (root) {
  "use strict";
  var C = (root.corridors = root.corridors || {});
  C.routes = [];
  C.styles = {};
  C.icons = {};

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function pane(map, name, z) {
    var p = map.getPane(name) || map.createPane(name);
    p.style.zIndex = z;
    p.style.pointerEvents = "none";
    return p;
  }

  /* Once per map, before any layer: styles, icons, panes, attribution. */
  C.setup = function (map, cfg) {
    C.map = map;
    C.styles = cfg.styles;
    C.icons = cfg.icons;
    map.getContainer().classList.add("corridors-map");
    pane(map, "corridorsBasemap", 150); // under the optional online tiles (tilePane is 200)
    pane(map, "corridorsLabels", 190);
    (cfg.attribution || []).forEach(function (a) {
      map.attributionControl.addAttribution(a);
    });
    function onZoom() {
      map.getContainer().classList.toggle("corridors-zoomed-out", map.getZoom() < 5);
    }
    map.on("zoomend", onZoom);
    onZoom();
  };

  /* The always-present vector basemap: country polygons, country names, capitals. */
  C.addBasemap = function (map, data, opts) {
    var transit = {};
    (opts.highlight || []).forEach(function (c) {
      transit[c] = true;
    });
    var e = opts.extent; // [[south, west], [north, east]] of the basemap's data
    if (e) {
      L.polygon(
        [
          [[-85, -180], [-85, 180], [85, 180], [85, -180]],
          [[e[0][0], e[0][1]], [e[1][0], e[0][1]], [e[1][0], e[1][1]], [e[0][0], e[1][1]]],
        ],
        { pane: "corridorsBasemap", interactive: false, stroke: false, fillColor: "#d4d4d4", fillOpacity: 1 }
      ).addTo(map);
    }
    var areas = data.features.filter(function (f) {
      return f.geometry.type !== "Point";
    });
    L.geoJSON(
      { type: "FeatureCollection", features: areas },
      {
        pane: "corridorsBasemap",
        interactive: false,
        attribution: opts.attribution,
        style: function (f) {
          var t = transit[f.properties.iso3];
          return {
            color: "#8a7f70",
            weight: t ? 1.3 : 0.8,
            opacity: 0.9,
            fillColor: t ? "#fffdf4" : "#ebe6da",
            fillOpacity: 1,
          };
        },
      }
    ).addTo(map);
    data.features.forEach(function (f) {
      var p = f.properties, ll, html, cls;
      if (f.geometry.type === "Point") {
        ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        html = '<span class="corridors-capital-dot"></span>' +
          '<span class="corridors-capital-name">' + esc(p.name) + "</span>";
        cls = "corridors-capital";
      } else if (p.label) {
        ll = [p.label[1], p.label[0]];
        html = '<span class="corridors-country-name">' + esc(p.name) + "</span>";
        cls = "corridors-country";
      } else {
        return;
      }
      L.marker(ll, {
        pane: "corridorsLabels",
        interactive: false,
        keyboard: false,
        icon: L.divIcon({ className: "corridors-label " + cls, html: html, iconSize: null }),
      }).addTo(map);
    });
  };

  function icon(kind) {
    var k = C.icons[kind] || C.icons.place;
    return L.divIcon({
      className: "corridors-icon",
      html: k.html,
      iconSize: [k.size, k.size],
      iconAnchor: [k.size / 2, k.size / 2],
      popupAnchor: [0, -k.size / 2],
      tooltipAnchor: [k.size / 2, 0],
    });
  }

  /* One route into its layer group: one polyline per leg, then its markers.
     legs: [mode, dashed, tooltip, [[lat, lon], ...]]
     markers: [kind, lat, lon, tooltip, popupHtml, permanentLabel] */
  C.addRoute = function (group, data) {
    var primary = !!data.primary;
    data.legs.forEach(function (l) {
      var s = C.styles[l[0]] || C.styles.other;
      L.polyline(l[3], {
        color: s.color,
        weight: primary ? s.weight : Math.max(2, s.weight - 2),
        opacity: primary ? 0.95 : 0.65,
        dashArray: l[1] ? "10 7" : null,
        lineCap: l[1] ? "butt" : "round",
        lineJoin: "round",
        className: "corridors-leg",
      })
        .bindTooltip(l[2], { sticky: true })
        .addTo(group);
    });
    data.markers.forEach(function (m) {
      var k = C.icons[m[0]] || C.icons.place;
      var mk = L.marker([m[1], m[2]], { icon: icon(m[0]), zIndexOffset: k.z || 0 });
      mk.bindPopup(m[4], { maxWidth: 360 });
      if (m[5]) {
        mk.bindTooltip(m[5], { permanent: true, direction: "right", className: "corridors-place-label" });
      } else {
        mk.bindTooltip(m[3]);
      }
      mk.addTo(group);
    });
    C.routes.push({ name: data.name, primary: primary, group: group });
  };

  /* After all routes: fit the view to them (at once, no animation to race with), and keep
     the primary route drawn on top of its alternatives. */
  C.finish = function (map, bounds) {
    if (bounds) {
      // Keep the route clear of the panels in the corners (each side capped, so a big panel
      // on a small screen cannot squeeze the map away).
      var size = map.getSize(), c = map.getContainer();
      var h = function (sel) {
        var el = c.querySelector(sel);
        return el ? el.offsetHeight : 0;
      };
      var top = Math.min(size.y * 0.3,
        Math.max(h(".leaflet-top.leaflet-left"), h(".leaflet-top.leaflet-right")));
      var bottom = Math.min(size.y * 0.4,
        Math.max(h(".leaflet-bottom.leaflet-left"), h(".leaflet-bottom.leaflet-right")));
      map.fitBounds(bounds, {
        paddingTopLeft: [24, top + 8],
        paddingBottomRight: [24, bottom + 8],
        animate: false,
      });
    }
    function front() {
      C.routes.forEach(function (r) {
        if (r.primary && map.hasLayer(r.group)) r.group.bringToFront();
      });
    }
    map.on("overlayadd", front);
    front();
  };

  /* A panel (summary, legend) as a Leaflet control. */
  C.addPanel = function (map, position, className, html) {
    var ctl = L.control({ position: position });
    ctl.onAdd = function () {
      var d = L.DomUtil.create("div", "corridors-panel " + className);
      d.innerHTML = html;
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      var size = map.getSize(), details = d.querySelector("details");
      if (details && (size.x < 800 || size.y < 560)) details.open = false; // small screens
      return d;
    };
    ctl.addTo(map);
    return ctl;
  };
})(window);
